"""Contaminated records for the accuracy tests: GSM8K test items copied verbatim, with their
numbers changed, or rephrased by hand in new words (same problem, same arithmetic), and
HumanEval prompts with the function renamed."""

import random
import re

from tests.conftest import gsm8k_rows

# GSM8K test line index -> the same problem, rewritten by hand without copying its sentences.
REPHRASED = {
    0: "Every day a farmer named Janet collects 16 eggs from her ducks. Three of them become her "
       "breakfast and four go into muffins she bakes for friends. Whatever eggs are left she "
       "sells at the market for two dollars apiece. What are her daily market earnings?",
    3: "Three times each week, James does a set of three sprints, and every sprint covers 60 "
       "meters. What distance does he cover in one week?",
    10: "An app was downloaded 60 times during its first month. Downloads tripled in month two, "
        "then month three saw 30 percent fewer downloads than month two. Over those three "
        "months, how many downloads were there altogether?",
    25: "For her order Marie got a $12 chicken meal, five $3 packs of milk, four apples at $1.50 "
        "apiece, plus a number of pizza boxes priced at $8.50 each. The bill came to $50. How "
        "many pizza boxes were in the order?",
    42: "For a firefighters' lunch, Grandma Jones made five apple pies and sliced every one into "
        "8 pieces, leaving them on a buffet for guests. When the evening ended, 14 slices were "
        "still left. How many slices did the guests eat?",
    57: "A truck whose empty weight together with its driver is 3755 pounds wants to cross a "
        "wooden bridge rated for at most 5000 pounds. It carries identical boxes of 15 pounds "
        "each. What is the largest number of boxes it can hold without going over the limit?",
    88: "Combined, Marilyn and Harald sold 88,000 records, and Marilyn's first record sold ten "
        "times what Harald's did. How many did Harald's record sell?",
    101: "Solo's reading list: 4 pages of science, 20 of social studies, 7 of history and 8 of "
         "geography. He got through 15 pages on Monday and has four days left. On average, how "
         "many pages must he read per day to finish?",
    150: "Steve, who lives 3 miles from school, rides a bike at 440 feet a minute; Tim, 2 miles "
         "from school, rides a skateboard at 264 feet a minute. They race home. How long does "
         "the winner wait at home before the loser arrives?",
    200: "Each morning Baldur draws 5 pails from the well and each afternoon 6 more. A pail holds "
         "5 liters. How many liters does he draw in a day?",
    256: "In his piggy bank Brady finds 100 pennies, 40 nickels, 20 dimes and 40 one-dollar "
         "bills. What is the total, in dollars?",
    300: "Peter spent 23 minutes exercising on Sunday and 16 minutes on Monday. On Tuesday he "
         "aims to exercise twice as long as those two days put together. How many minutes is "
         "that?",
    333: "Robert got two quotes for a sofa and a bookshelf. One store asks $1,350 up front and "
         "then six monthly payments of $350; another asks $1,100 up front and nine monthly "
         "payments of $250. By how much do the two quotes differ?",
    404: "Jane sees two zebras that each have 17 stripes, one zebra that has 36, and one more "
         "zebra with half of 36. What is the average number of stripes per zebra?",
    500: "Lily, David and Bodhi gathered 43 bugs in all. Lily caught seven more than David, and "
         "David caught half as many as Bodhi. How many bugs did Lily catch?",
    612: "At a steakhouse dinner, one basketball player had a 6-ounce steak, another had eight "
         "one-ounce beef tips, a third had a steak weighing one pound, and two more chose "
         "vegetarian dishes. How many ounces of meat did the team eat?",
    700: "For the Fourth of July, the city will launch 15 boxes holding 20 fireworks apiece, and "
         "from her house Hannah can see 40 percent of them. She also lights 3 boxes of 5 "
         "fireworks in her own yard. How many fireworks does she see altogether?",
    808: "After a party 10 quarts of tea remain. Four students had 1.5 quarts each and sixteen "
         "students had 2 quarts each. How many gallons of tea were there to start with?",
    999: "A watermelon is shared by six people, two grown-ups and four children, so that each "
         "grown-up's slice is double a child's slice. What percent of the melon goes to each "
         "grown-up?",
    1200: "If you take four times the number of mugs in the staff lounge and add eight, you get "
          "40. How many mugs are in the staff lounge?",
}

# Items whose copies and number-changed copies go into the generated set.
VERBATIM = [1, 7, 19, 64, 120, 222, 345, 481, 590, 777, 901, 1042, 1111, 1250, 1318]
NUMBERS_CHANGED = [2, 8, 33, 71, 133, 240, 366, 455, 620, 750, 880, 960, 1080, 1180, 1300]
HUMANEVAL_RENAMED = [0, 5, 12, 23, 31, 47, 58, 72, 99, 120, 140, 163]

_NUMBER = re.compile(r"\d+")


def gsm8k(split: str) -> list[dict]:
    return gsm8k_rows(split)


def change_numbers(text: str, rng: random.Random) -> str:
    """Every integer replaced by a different one of similar size."""
    def other(match: re.Match) -> str:
        value = int(match.group())
        return str(value + rng.randint(1, 9) if value < 10 else value * 2 + rng.randint(1, 7))
    return _NUMBER.sub(other, text)


def rename_function(prompt: str, entry_point: str, new_name: str) -> str:
    return re.sub(rf"\b{re.escape(entry_point)}\b", new_name, prompt)
