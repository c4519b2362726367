"""Synthetic short reviews of invented works: plain reveals beside premises, opinions and titles.

Why: the labelled data states reveals inside plot summaries (TV Tropes), forum chat (Reddit) or
long reviews (Goodreads); a reveal stated plainly on its own ("X was dead all along") or in a
three-line review of praise is rare there, and the model missed such sentences. These reviews
teach the shape of a plain reveal (an identity, a death, a hoax, a betrayal, a hidden past)
against the shapes that are not one (a premise, a verdict, a heading), using invented names
only. They are training data, never evaluation data: the challenge set (tests/data/challenge.csv)
shares no work, character or sentence with them, and a test checks that.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from spoilerscan.model.features import SentenceInput
from spoilerscan.reading.document import BlockKind
from spoilerscan.training.data import LabelledReview

SOURCE = "synthetic/reveals"

_FIRST = ("Mara", "Jonah", "Elsa", "Tobias", "Nadia", "Felix", "Ines", "Rafe", "Odile", "Caspar", "Wren",
          "Lucan", "Petra", "Silas", "Juno", "Anselm", "Greta", "Milo", "Ysolde", "Dorian", "Hana", "Otto",
          "Lena", "Bram", "Clio", "Emeric", "Tamsin", "Viggo", "Zora", "Kit")
_LAST = ("Vale", "Marsh", "Okafor", "Lindqvist", "Castell", "Brandt", "Moreau", "Pike", "Sorensen", "Quill",
         "Harrow", "Ilves", "Achterberg", "Dunmore", "Ferrant")
_TITLES = ("Dr.", "Captain", "Professor", "Inspector", "Sister", "Uncle", "Agent", "Lady")
_ROLES = ("the gardener", "the young nurse", "the quiet neighbour", "the ship's cook", "the family lawyer",
          "the new teacher", "the piano tuner", "the night watchman", "the village priest", "the housekeeper",
          "the hero's best friend", "the lighthouse keeper", "the head of security", "the boy's tutor",
          "the stable hand", "the retired general", "the hotel manager", "the court painter")
_RELATIONS = ("father", "mother", "twin brother", "twin sister", "older sister", "son", "daughter", "grandfather",
              "half-brother", "first wife")
_PLACES = ("the valley", "the colony", "the monastery", "the orbital station", "the walled city", "the summer camp",
           "the research base", "the sanatorium", "the old mill town", "the floating market")
_ADJECTIVES = ("Silent", "Glass", "Hollow", "Last", "Winter", "Paper", "Burning", "Quiet", "Iron", "Salt")
_NOUNS = ("Harbour", "Orchard", "Kingdom", "Signal", "Garden", "Tide", "Lantern", "Crossing", "Archive", "Meridian")
_MEDIA = ("film", "novel", "series", "book", "movie", "show", "play", "game")

# Plain reveals: who someone really is, who did it, who dies, what was never real.
_REVEALS = (
    "{a} is {b}.",
    "{a} was {b} all along.",
    "{a} turns out to be {b}'s {rel}.",
    "{a} is really {b}'s {rel}.",
    "{a} and {b} are the same person.",
    "{a} was dead the entire time.",
    "{a} had been a ghost from the very first scene.",
    "{a} is the killer.",
    "The killer is {a}.",
    "{a} killed {b}.",
    "It was {a} who poisoned {b}.",
    "{a} dies at the end.",
    "{a} does not survive the final battle.",
    "{b} is killed by {a} in the last chapter.",
    "{a} betrays {b}.",
    "{a} has been working for the enemy from the start.",
    "{a} faked {pos} own death.",
    "{a} was never really missing.",
    "{a} never existed; {b} imagined {obj}.",
    "The whole {medium} is a dream {a} is having.",
    "Everything in {place} was a simulation.",
    "{place} is a prison and nobody there knows it.",
    "The people of {place} have been dead for years.",
    "{a} is {b}'s {rel}.",
    "{a} was the traitor.",
    "{a} is the one who started the fire.",
    "{a} wakes up and it was all in {pos} head.",
    "In the end {a} kills {b}.",
    "{role} is the murderer.",
    "{role} was {b} in disguise.",
    "{a} sacrifices {self} so {b} can escape.",
    "{b} survives but {a} is gone for good.",
    "{a} was adopted, and {b} is {pos} real {rel}.",
    "It turns out {a} wrote the letters {self}.",
)
# Not reveals: what a work is about, what the reviewer thinks, and lines around the text.
_PREMISES = (
    "{a} is a {job} in {place}.",
    "{a} arrives in {place} to start a new job.",
    "The {medium} follows {a}, a {job} with a secret.",
    "{a} and {b} meet on the first day in {place}.",
    "When {b} goes missing, {a} starts asking questions.",
    "Set in {place}, the {medium} opens with a wedding.",
    "{a} is hired to find out who is stealing from {b}.",
    "The story begins as {a} returns to {place} after ten years away.",
    "{a} has one summer to save the family business.",
    "{a}, a {job}, takes in a stranger during a storm.",
    "The first chapter introduces {a} and {pos} {rel}.",
    "{a} investigates a series of strange disappearances in {place}.",
)
_OPINIONS = (
    "I liked it a lot.", "The performances are wonderful.", "It is too long by half an hour.",
    "The score is lovely.", "I would happily watch it again.", "The writing is sharp and funny.",
    "Not my cup of tea.", "The middle section sags.", "Four stars.", "Highly recommended.",
    "The twist is clever, and I did not see it coming.", "It has a great ending.",
    "The cast is uniformly excellent.", "I was gripped from the first page.", "The villain is a lot of fun.",
    "The last act is the best part.", "Some scenes are hard to watch.", "Bring tissues.",
    "It looks gorgeous on a big screen.", "I wanted more of {a}.", "{a} is a great character.",
    "{a} steals every scene.", "The relationship between {a} and {b} is touching.",
)
_HEADINGS = ("{title} ({year})", "Review: {title}", "{title}: a review", "My thoughts on {title}",
             "Verdict", "The bottom line", "Spoiler-free thoughts", "{title}, season {n}", "Notes on act {n}",
             "Written by {a}", "Rating: {n} out of 5")
_JOBS = ("nurse", "carpenter", "detective", "pilot", "schoolteacher", "chef", "lawyer", "botanist", "locksmith",
         "journalist")


def _name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(_FIRST)
    if roll < 0.75:
        return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    return f"{rng.choice(_TITLES)} {rng.choice(_LAST)}"


def _fill(template: str, rng: random.Random, cast: Sequence[str], title: str) -> str:
    """The template with the review's cast and title and random details (the draws' order is fixed)."""
    pos, obj, reflexive = rng.choice((("his", "him", "himself"), ("her", "her", "herself"),
                                      ("their", "them", "themselves")))
    sentence = template.format(
        a=cast[0], b=cast[1], pos=pos, obj=obj, self=reflexive, role=rng.choice(_ROLES),
        rel=rng.choice(_RELATIONS), place=rng.choice(_PLACES), medium=rng.choice(_MEDIA),
        job=rng.choice(_JOBS), title=title, year=rng.randint(1950, 2025), n=rng.randint(1, 5),
    )
    return sentence[0].upper() + sentence[1:]


def synthetic_reviews(count: int, seed: int = 0) -> list[LabelledReview]:
    """``count`` short reviews of invented works (1 = a reveal), the same for the same seed.

    A quarter are one sentence alone (a reveal or not); the rest are 2-6 sentences: maybe a
    heading, premises first, opinions around, and in two of three reviews one or two reveals.
    """
    rng = random.Random(seed)
    reviews: list[LabelledReview] = []
    for _ in range(count):
        cast = rng.sample(sorted({_name(rng) for _ in range(6)}), 2)
        title = f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}"
        if rng.random() < 0.25:
            spoiler = rng.random() < 0.5
            pool = _REVEALS if spoiler else rng.choice((_PREMISES, _OPINIONS, _HEADINGS))
            kind = BlockKind.heading if pool is _HEADINGS else BlockKind.paragraph
            reviews.append(LabelledReview((SentenceInput(_fill(rng.choice(pool), rng, cast, title), kind),),
                                          (int(spoiler),), SOURCE))
            continue
        body: list[tuple[str, int]] = [(_fill(t, rng, cast, title), 0)
                                       for t in rng.sample(_PREMISES, rng.randint(0, 2))]
        after = [(_fill(t, rng, cast, title), 0) for t in rng.sample(_OPINIONS, rng.randint(1, 3))]
        if rng.random() < 2 / 3:
            for template in rng.sample(_REVEALS, rng.randint(1, 2)):
                after.insert(rng.randint(0, len(after)), (_fill(template, rng, cast, title), 1))
        body += after
        sentences = [SentenceInput(text) for text, _ in body]
        labels = [label for _, label in body]
        if rng.random() < 0.3:
            sentences.insert(0, SentenceInput(_fill(rng.choice(_HEADINGS), rng, cast, title), BlockKind.heading))
            labels.insert(0, 0)
        reviews.append(LabelledReview(tuple(sentences), tuple(labels), SOURCE))
    return reviews
