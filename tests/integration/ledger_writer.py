"""A ledger writer to kill: appends and integrates forever, printing each acknowledged entry.

Run as ``python ledger_writer.py DATABASE_URL SIGNING_KEY_FILE SEED``. A line is printed only
after the transaction holding the entry has committed, i.e. once it is acknowledged.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from sharewell import db
from sharewell.ledger import services as ledger
from sharewell.ledger.note import Signer


def main() -> None:
    url, key_file, seed = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    signer = Signer.from_skey_text(key_file.read_text(encoding="ascii").strip())
    engine = db.make_engine(url)
    rng = random.Random(seed)
    counter = 0
    while True:
        batch = [f"writer {seed} entry {counter + i}".encode() for i in range(rng.randint(1, 40))]
        counter += len(batch)
        with db.transaction(engine) as session:
            indexes = ledger.append(session, batch)
        for index, data in zip(indexes, batch, strict=True):
            print(f"{index}\t{data.decode()}", flush=True)
        if rng.random() < 0.3:
            with db.transaction(engine) as session:
                ledger.integrate(session, signer)


if __name__ == "__main__":
    main()
