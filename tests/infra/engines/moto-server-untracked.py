"""moto's server with its dashboard's instance tracking turned off: how tests/infra starts moto.

moto (5.2.5) appends every model object it ever creates to a class-level list for its dashboard
(/moto-api/data.json), deep copies included: TransactWriteItems deep-copies each table it touches
once per item (its rollback copy), so every transaction leaks whole tables. A 10 000-operation
wallet invariant run grows the server past 12 GB and the OOM killer ends it. With tracking off
the copies are freed; every API behaves as in moto_server (the dashboard lists nothing).

  .infra/moto/venv/bin/python tests/infra/engines/moto-server-untracked.py -H 127.0.0.1 -p 55023
"""
import sys

from moto.core.common_models import BaseModel


def _untracked_new(cls, *args, **kwargs):
    return object.__new__(cls)


BaseModel.__new__ = staticmethod(_untracked_new)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
