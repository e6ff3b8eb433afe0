"""The code the Python collect tests measure (coverage.py --branch, include */shop.py)."""


def price(item: str, qty: int) -> int:
    base = {"apple": 3, "pear": 5}.get(item, 0)
    if qty > 10:
        base -= 1
    return base * qty


def label(item: str) -> str:
    if item.startswith("a"):
        return item.upper()
    return item.title()


def refund(amount: int) -> int:
    if amount < 0:
        raise ValueError("negative")
    return -amount


def run(op: str, arg: str) -> str:
    if op == "price":
        return str(price(arg, 12 if arg == "pear" else 2))
    if op == "label":
        return label(arg)
    if op == "refund":
        return str(refund(int(arg)))
    return "?"
