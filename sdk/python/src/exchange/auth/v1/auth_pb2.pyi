from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_SUPPORT: _ClassVar[Role]
    ROLE_ADMIN: _ClassVar[Role]
    ROLE_OPERATOR: _ClassVar[Role]

class Permission(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERMISSION_UNSPECIFIED: _ClassVar[Permission]
    PERMISSION_READ: _ClassVar[Permission]
    PERMISSION_TRADE: _ClassVar[Permission]
    PERMISSION_WITHDRAW: _ClassVar[Permission]

class ApiKeyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    API_KEY_TYPE_UNSPECIFIED: _ClassVar[ApiKeyType]
    API_KEY_TYPE_HMAC_SHA256: _ClassVar[ApiKeyType]
    API_KEY_TYPE_ED25519: _ClassVar[ApiKeyType]

class MfaResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MFA_RESULT_UNSPECIFIED: _ClassVar[MfaResult]
    MFA_RESULT_VALID: _ClassVar[MfaResult]
    MFA_RESULT_INVALID: _ClassVar[MfaResult]
    MFA_RESULT_NOT_ENROLLED: _ClassVar[MfaResult]
ROLE_UNSPECIFIED: Role
ROLE_USER: Role
ROLE_SUPPORT: Role
ROLE_ADMIN: Role
ROLE_OPERATOR: Role
PERMISSION_UNSPECIFIED: Permission
PERMISSION_READ: Permission
PERMISSION_TRADE: Permission
PERMISSION_WITHDRAW: Permission
API_KEY_TYPE_UNSPECIFIED: ApiKeyType
API_KEY_TYPE_HMAC_SHA256: ApiKeyType
API_KEY_TYPE_ED25519: ApiKeyType
MFA_RESULT_UNSPECIFIED: MfaResult
MFA_RESULT_VALID: MfaResult
MFA_RESULT_INVALID: MfaResult
MFA_RESULT_NOT_ENROLLED: MfaResult

class SignUpRequest(_message.Message):
    __slots__ = ("email", "password")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SignUpResponse(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class Tokens(_message.Message):
    __slots__ = ("access_token", "refresh_token", "expires_in", "session_id")
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    access_token: str
    refresh_token: str
    expires_in: int
    session_id: str
    def __init__(self, access_token: _Optional[str] = ..., refresh_token: _Optional[str] = ..., expires_in: _Optional[int] = ..., session_id: _Optional[str] = ...) -> None: ...

class SignInRequest(_message.Message):
    __slots__ = ("email", "password", "totp_code", "client_ip", "user_agent")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    totp_code: str
    client_ip: str
    user_agent: str
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., totp_code: _Optional[str] = ..., client_ip: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class SignInResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: Tokens
    def __init__(self, tokens: _Optional[_Union[Tokens, _Mapping]] = ...) -> None: ...

class RefreshSessionRequest(_message.Message):
    __slots__ = ("refresh_token",)
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    refresh_token: str
    def __init__(self, refresh_token: _Optional[str] = ...) -> None: ...

class RefreshSessionResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: Tokens
    def __init__(self, tokens: _Optional[_Union[Tokens, _Mapping]] = ...) -> None: ...

class RevokeSessionRequest(_message.Message):
    __slots__ = ("user_id", "session_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    session_id: str
    def __init__(self, user_id: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class RevokeSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Session(_message.Message):
    __slots__ = ("session_id", "created_at", "last_used_at", "client_ip", "user_agent")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    created_at: int
    last_used_at: int
    client_ip: str
    user_agent: str
    def __init__(self, session_id: _Optional[str] = ..., created_at: _Optional[int] = ..., last_used_at: _Optional[int] = ..., client_ip: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ...) -> None: ...

class EnrollTotpRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class EnrollTotpResponse(_message.Message):
    __slots__ = ("otpauth_uri", "secret")
    OTPAUTH_URI_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    otpauth_uri: str
    secret: str
    def __init__(self, otpauth_uri: _Optional[str] = ..., secret: _Optional[str] = ...) -> None: ...

class ConfirmTotpRequest(_message.Message):
    __slots__ = ("user_id", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ConfirmTotpResponse(_message.Message):
    __slots__ = ("recovery_codes",)
    RECOVERY_CODES_FIELD_NUMBER: _ClassVar[int]
    recovery_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, recovery_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("user_id", "label", "type", "permissions", "ip_allow_list", "public_key", "totp_code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    IP_ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    label: str
    type: ApiKeyType
    permissions: _containers.RepeatedScalarFieldContainer[Permission]
    ip_allow_list: _containers.RepeatedScalarFieldContainer[str]
    public_key: str
    totp_code: str
    def __init__(self, user_id: _Optional[str] = ..., label: _Optional[str] = ..., type: _Optional[_Union[ApiKeyType, str]] = ..., permissions: _Optional[_Iterable[_Union[Permission, str]]] = ..., ip_allow_list: _Optional[_Iterable[str]] = ..., public_key: _Optional[str] = ..., totp_code: _Optional[str] = ...) -> None: ...

class ApiKey(_message.Message):
    __slots__ = ("api_key", "label", "type", "permissions", "ip_allow_list", "created_at")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    IP_ALLOW_LIST_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    label: str
    type: ApiKeyType
    permissions: _containers.RepeatedScalarFieldContainer[Permission]
    ip_allow_list: _containers.RepeatedScalarFieldContainer[str]
    created_at: int
    def __init__(self, api_key: _Optional[str] = ..., label: _Optional[str] = ..., type: _Optional[_Union[ApiKeyType, str]] = ..., permissions: _Optional[_Iterable[_Union[Permission, str]]] = ..., ip_allow_list: _Optional[_Iterable[str]] = ..., created_at: _Optional[int] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "secret")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    key: ApiKey
    secret: str
    def __init__(self, key: _Optional[_Union[ApiKey, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKey, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("user_id", "api_key")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    api_key: str
    def __init__(self, user_id: _Optional[str] = ..., api_key: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignedRequest(_message.Message):
    __slots__ = ("api_key", "payload", "signature", "client_ip")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    payload: str
    signature: str
    client_ip: str
    def __init__(self, api_key: _Optional[str] = ..., payload: _Optional[str] = ..., signature: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class ApiKeyCredential(_message.Message):
    __slots__ = ("api_key", "client_ip")
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    client_ip: str
    def __init__(self, api_key: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("bearer_token", "signed", "api_key", "required_permission", "required_role")
    BEARER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SIGNED_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_PERMISSION_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_ROLE_FIELD_NUMBER: _ClassVar[int]
    bearer_token: str
    signed: SignedRequest
    api_key: ApiKeyCredential
    required_permission: Permission
    required_role: Role
    def __init__(self, bearer_token: _Optional[str] = ..., signed: _Optional[_Union[SignedRequest, _Mapping]] = ..., api_key: _Optional[_Union[ApiKeyCredential, _Mapping]] = ..., required_permission: _Optional[_Union[Permission, str]] = ..., required_role: _Optional[_Union[Role, str]] = ...) -> None: ...

class Principal(_message.Message):
    __slots__ = ("user_id", "roles", "permissions", "api_key", "session_id", "withdrawal_locked_until", "mfa_enabled")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWAL_LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    MFA_ENABLED_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    roles: _containers.RepeatedScalarFieldContainer[Role]
    permissions: _containers.RepeatedScalarFieldContainer[Permission]
    api_key: str
    session_id: str
    withdrawal_locked_until: int
    mfa_enabled: bool
    def __init__(self, user_id: _Optional[str] = ..., roles: _Optional[_Iterable[_Union[Role, str]]] = ..., permissions: _Optional[_Iterable[_Union[Permission, str]]] = ..., api_key: _Optional[str] = ..., session_id: _Optional[str] = ..., withdrawal_locked_until: _Optional[int] = ..., mfa_enabled: _Optional[bool] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("principal",)
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    principal: Principal
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ...) -> None: ...

class GetJwksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetJwksResponse(_message.Message):
    __slots__ = ("jwks_json",)
    JWKS_JSON_FIELD_NUMBER: _ClassVar[int]
    jwks_json: str
    def __init__(self, jwks_json: _Optional[str] = ...) -> None: ...

class LoginEvent(_message.Message):
    __slots__ = ("time", "client_ip", "user_agent", "success", "reason")
    TIME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    time: int
    client_ip: str
    user_agent: str
    success: bool
    reason: str
    def __init__(self, time: _Optional[int] = ..., client_ip: _Optional[str] = ..., user_agent: _Optional[str] = ..., success: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ListLoginHistoryRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class ListLoginHistoryResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LoginEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[LoginEvent, _Mapping]]] = ...) -> None: ...

class SetAntiPhishingCodeRequest(_message.Message):
    __slots__ = ("user_id", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class SetAntiPhishingCodeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChangePasswordRequest(_message.Message):
    __slots__ = ("user_id", "current_password", "new_password", "totp_code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    current_password: str
    new_password: str
    totp_code: str
    def __init__(self, user_id: _Optional[str] = ..., current_password: _Optional[str] = ..., new_password: _Optional[str] = ..., totp_code: _Optional[str] = ...) -> None: ...

class ChangePasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class VerifyMfaRequest(_message.Message):
    __slots__ = ("user_id", "code")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    code: str
    def __init__(self, user_id: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class VerifyMfaResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: MfaResult
    def __init__(self, result: _Optional[_Union[MfaResult, str]] = ...) -> None: ...

class GetAccountSecurityRequest(_message.Message):
    __slots__ = ("user_id",)
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    def __init__(self, user_id: _Optional[str] = ...) -> None: ...

class GetAccountSecurityResponse(_message.Message):
    __slots__ = ("mfa_enabled", "withdrawal_locked_until", "anti_phishing_code", "frozen_at")
    MFA_ENABLED_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWAL_LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    ANTI_PHISHING_CODE_FIELD_NUMBER: _ClassVar[int]
    FROZEN_AT_FIELD_NUMBER: _ClassVar[int]
    mfa_enabled: bool
    withdrawal_locked_until: int
    anti_phishing_code: str
    frozen_at: int
    def __init__(self, mfa_enabled: _Optional[bool] = ..., withdrawal_locked_until: _Optional[int] = ..., anti_phishing_code: _Optional[str] = ..., frozen_at: _Optional[int] = ...) -> None: ...

class SetAccountFrozenRequest(_message.Message):
    __slots__ = ("user_id", "frozen")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    FROZEN_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    frozen: bool
    def __init__(self, user_id: _Optional[str] = ..., frozen: _Optional[bool] = ...) -> None: ...

class SetAccountFrozenResponse(_message.Message):
    __slots__ = ("was_frozen",)
    WAS_FROZEN_FIELD_NUMBER: _ClassVar[int]
    was_frozen: bool
    def __init__(self, was_frozen: _Optional[bool] = ...) -> None: ...
