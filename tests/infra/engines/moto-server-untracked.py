"""moto's server as tests/infra starts it: dashboard instance tracking off, DynamoDB requests one at a time.

1. moto (5.2.5) appends every model object it ever creates to a class-level list for its dashboard
   (/moto-api/data.json), deep copies included: TransactWriteItems deep-copies each table it touches
   once per item (its rollback copy), so every transaction leaks whole tables. A 10 000-operation
   wallet invariant run grows the server past 12 GB and the OOM killer ends it. With tracking off
   the copies are freed; every API behaves as in moto_server (the dashboard lists nothing).
2. moto's server answers each request on its own thread, and its DynamoDB backend takes no lock: a
   TransactWriteItems applies its items one by one and, when one fails its condition, puts back the
   deep copies of the tables it took before starting, wiping whatever other requests wrote to those
   tables meanwhile. Acknowledged transactions are lost (8 clients, half of whose transactions fail
   a condition, lose about one in twelve of the others). DynamoDB's transactions are serializable,
   so DynamoDB and DynamoDB Streams requests are served one at a time here, as they would appear.

  .infra/moto/venv/bin/python tests/infra/engines/moto-server-untracked.py -H 127.0.0.1 -p 55023

tests/infra/engines/moto.sh restarts a running server whose revision is older than this one:
revision: 2
"""
import sys
import threading

from moto.core.common_models import BaseModel


def _untracked_new(cls, *args, **kwargs):
    return object.__new__(cls)


BaseModel.__new__ = staticmethod(_untracked_new)

from moto.dynamodb.responses import DynamoHandler  # noqa: E402
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler  # noqa: E402
from moto.server import main  # noqa: E402

_DYNAMODB = threading.Lock()


def _serialized(call_action):
    def call(self):
        with _DYNAMODB:
            return call_action(self)

    return call


DynamoHandler.call_action = _serialized(DynamoHandler.call_action)
DynamoDBStreamsHandler.call_action = _serialized(DynamoDBStreamsHandler.call_action)

if __name__ == "__main__":
    main(sys.argv[1:])
