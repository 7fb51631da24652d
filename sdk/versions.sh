# The SDK toolchain's pinned versions (sourced by sdk/tools.sh). Go's runtime versions are in sdk/go/go.mod, the
# Python SDK's in sdk/python/pyproject.toml: keep the generators and runtimes in step.
PROTOC_GEN_GO_VERSION=v1.36.12
CONNECT_GO_VERSION=v1.19.2
PYTHON_REQUIREMENTS=(
  grpcio-tools==1.85.1
  grpcio==1.85.4
  protobuf==7.36.2
  protoc-gen-connect-python==0.9.0
  connect-python==0.9.0
  pyqwest==0.12.0
  cryptography==50.0.2
  googleapis-common-protos==1.76.0
  setuptools==84.2.1
  opentelemetry-api==1.45.3
  typing_extensions==4.16.0
)
