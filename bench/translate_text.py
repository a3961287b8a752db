"""The translation trainer's text handling and corpus BLEU, in Python, for
bench/translate_compare.py and the translation tests (which check the
trainer's C++ against it; docs/Trainer.md, "Translation")."""
import collections
import math
import re


def normalize(s):
    """ASCII letters lowercased; U+00A0 and U+202F become spaces."""
    s = s.replace("\u00a0", " ").replace("\u202f", " ")
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def tokens(text):
    """Runs of letters, digits, apostrophes and non-ASCII characters; every
    other non-space character is a token."""
    return re.findall(r"[a-z0-9'\x80-\U0010ffff]+|[^\sa-z0-9'\x80-\U0010ffff]", text)


def read(path):
    """The (source, target) pairs of a source<TAB>target file, normalised."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            a, b = line.rstrip("\n").split("\t")[:2]
            out.append((normalize(a), normalize(b)))
    return out


def bleu(cands, refss):
    """Corpus BLEU-4: clipped n-gram precisions summed over the corpus, the
    brevity penalty against the closest reference length, no smoothing."""
    m, tot = [0] * 4, [0] * 4
    c_len = r_len = 0
    for c, rs in zip(cands, refss):
        c_len += len(c)
        r_len += min((abs(len(r) - len(c)), len(r)) for r in rs)[1]
        for n in range(1, 5):
            cc = collections.Counter(tuple(c[i:i + n]) for i in range(len(c) - n + 1))
            mx = collections.Counter()
            for r in rs:
                for g, k in collections.Counter(tuple(r[i:i + n])
                                                for i in range(len(r) - n + 1)).items():
                    mx[g] = max(mx[g], k)
            m[n - 1] += sum(min(k, mx[g]) for g, k in cc.items())
            tot[n - 1] += sum(cc.values())
    if min(m) == 0:
        return 0.0
    bp = 1.0 if c_len > r_len else math.exp(1 - r_len / c_len)
    return bp * math.exp(sum(math.log(a / b) for a, b in zip(m, tot)) / 4)
