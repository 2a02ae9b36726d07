"""Text tools shared by the verifiers and the contamination detectors: normalization for
n-gram and MinHash matching, and the MiniLM sentence encoder (NumPy or onnxruntime)."""
