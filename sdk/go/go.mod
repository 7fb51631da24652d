module github.com/exchange/exchange/sdk/go

go 1.26.0

require (
	connectrpc.com/connect v1.19.2
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261123191846-1e707ab9fbc2
	google.golang.org/protobuf v1.36.12
)
