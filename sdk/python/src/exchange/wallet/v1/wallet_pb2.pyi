from buf.validate import validate_pb2 as _validate_pb2
from exchange.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HoldState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATE_UNSPECIFIED: _ClassVar[HoldState]
    HOLD_STATE_PENDING: _ClassVar[HoldState]
    HOLD_STATE_POSTED: _ClassVar[HoldState]
    HOLD_STATE_VOIDED: _ClassVar[HoldState]

class TransferStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSFER_STATUS_UNSPECIFIED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_PENDING: _ClassVar[TransferStatus]
    TRANSFER_STATUS_AWAITING_APPROVAL: _ClassVar[TransferStatus]
    TRANSFER_STATUS_COMPLETED: _ClassVar[TransferStatus]
    TRANSFER_STATUS_REJECTED: _ClassVar[TransferStatus]

class BalanceUpdateReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BALANCE_UPDATE_REASON_UNSPECIFIED: _ClassVar[BalanceUpdateReason]
    BALANCE_UPDATE_REASON_DEPOSIT: _ClassVar[BalanceUpdateReason]
    BALANCE_UPDATE_REASON_WITHDRAWAL: _ClassVar[BalanceUpdateReason]
    BALANCE_UPDATE_REASON_WITHDRAWAL_RETURNED: _ClassVar[BalanceUpdateReason]
    BALANCE_UPDATE_REASON_TRANSFER: _ClassVar[BalanceUpdateReason]
    BALANCE_UPDATE_REASON_ADJUSTMENT: _ClassVar[BalanceUpdateReason]

class StatementFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATEMENT_FORMAT_UNSPECIFIED: _ClassVar[StatementFormat]
    STATEMENT_FORMAT_CSV: _ClassVar[StatementFormat]
HOLD_STATE_UNSPECIFIED: HoldState
HOLD_STATE_PENDING: HoldState
HOLD_STATE_POSTED: HoldState
HOLD_STATE_VOIDED: HoldState
TRANSFER_STATUS_UNSPECIFIED: TransferStatus
TRANSFER_STATUS_PENDING: TransferStatus
TRANSFER_STATUS_AWAITING_APPROVAL: TransferStatus
TRANSFER_STATUS_COMPLETED: TransferStatus
TRANSFER_STATUS_REJECTED: TransferStatus
BALANCE_UPDATE_REASON_UNSPECIFIED: BalanceUpdateReason
BALANCE_UPDATE_REASON_DEPOSIT: BalanceUpdateReason
BALANCE_UPDATE_REASON_WITHDRAWAL: BalanceUpdateReason
BALANCE_UPDATE_REASON_WITHDRAWAL_RETURNED: BalanceUpdateReason
BALANCE_UPDATE_REASON_TRANSFER: BalanceUpdateReason
BALANCE_UPDATE_REASON_ADJUSTMENT: BalanceUpdateReason
STATEMENT_FORMAT_UNSPECIFIED: StatementFormat
STATEMENT_FORMAT_CSV: StatementFormat

class Asset(_message.Message):
    __slots__ = ("asset", "scale", "networks")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    SCALE_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    asset: str
    scale: int
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, asset: _Optional[str] = ..., scale: _Optional[int] = ..., networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class Network(_message.Message):
    __slots__ = ("network", "withdraw_fee", "withdraw_min", "confirmations", "memo_required")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_FEE_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_MIN_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    MEMO_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    network: str
    withdraw_fee: str
    withdraw_min: str
    confirmations: int
    memo_required: bool
    def __init__(self, network: _Optional[str] = ..., withdraw_fee: _Optional[str] = ..., withdraw_min: _Optional[str] = ..., confirmations: _Optional[int] = ..., memo_required: _Optional[bool] = ...) -> None: ...

class ListAssetsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAssetsResponse(_message.Message):
    __slots__ = ("assets",)
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    assets: _containers.RepeatedCompositeFieldContainer[Asset]
    def __init__(self, assets: _Optional[_Iterable[_Union[Asset, _Mapping]]] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("asset", "free", "locked", "pending_withdrawal")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    FREE_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    PENDING_WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    asset: str
    free: str
    locked: str
    pending_withdrawal: str
    def __init__(self, asset: _Optional[str] = ..., free: _Optional[str] = ..., locked: _Optional[str] = ..., pending_withdrawal: _Optional[str] = ...) -> None: ...

class GetBalancesRequest(_message.Message):
    __slots__ = ("account_id", "assets")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSETS_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    assets: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, account_id: _Optional[str] = ..., assets: _Optional[_Iterable[str]] = ...) -> None: ...

class GetBalancesResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[Balance, _Mapping]]] = ...) -> None: ...

class CreateHoldRequest(_message.Message):
    __slots__ = ("hold_id", "account_id", "asset", "amount", "timeout_ms")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    account_id: str
    asset: str
    amount: str
    timeout_ms: int
    def __init__(self, hold_id: _Optional[str] = ..., account_id: _Optional[str] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class Hold(_message.Message):
    __slots__ = ("hold_id", "account_id", "asset", "amount", "remaining", "state")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REMAINING_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    account_id: str
    asset: str
    amount: str
    remaining: str
    state: HoldState
    def __init__(self, hold_id: _Optional[str] = ..., account_id: _Optional[str] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ..., remaining: _Optional[str] = ..., state: _Optional[_Union[HoldState, str]] = ...) -> None: ...

class CreateHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class CreateHoldsRequest(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[CreateHoldRequest]
    def __init__(self, holds: _Optional[_Iterable[_Union[CreateHoldRequest, _Mapping]]] = ...) -> None: ...

class CreateHoldsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[HoldResult]
    def __init__(self, results: _Optional[_Iterable[_Union[HoldResult, _Mapping]]] = ...) -> None: ...

class HoldResult(_message.Message):
    __slots__ = ("done", "error")
    DONE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    done: bool
    error: SettleTradeError
    def __init__(self, done: _Optional[bool] = ..., error: _Optional[_Union[SettleTradeError, _Mapping]] = ...) -> None: ...

class VoidHoldRequest(_message.Message):
    __slots__ = ("hold_id",)
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    def __init__(self, hold_id: _Optional[str] = ...) -> None: ...

class VoidHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class MoveHoldRequest(_message.Message):
    __slots__ = ("hold_id", "to_hold_id", "amount")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    TO_HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    to_hold_id: str
    amount: str
    def __init__(self, hold_id: _Optional[str] = ..., to_hold_id: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class MoveHoldResponse(_message.Message):
    __slots__ = ("hold", "to")
    HOLD_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    to: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ..., to: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class ReduceHoldRequest(_message.Message):
    __slots__ = ("hold_id", "request_id", "amount")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    request_id: str
    amount: str
    def __init__(self, hold_id: _Optional[str] = ..., request_id: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class ReduceHoldResponse(_message.Message):
    __slots__ = ("hold",)
    HOLD_FIELD_NUMBER: _ClassVar[int]
    hold: Hold
    def __init__(self, hold: _Optional[_Union[Hold, _Mapping]] = ...) -> None: ...

class SettleTradeRequest(_message.Message):
    __slots__ = ("trade_id", "symbol", "base_asset", "quote_asset", "buyer_account_id", "seller_account_id", "buyer_hold_id", "seller_hold_id", "base_amount", "quote_amount", "buyer_is_maker")
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_FIELD_NUMBER: _ClassVar[int]
    BUYER_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    BUYER_HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    SELLER_HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    BASE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    QUOTE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    BUYER_IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    trade_id: str
    symbol: str
    base_asset: str
    quote_asset: str
    buyer_account_id: str
    seller_account_id: str
    buyer_hold_id: str
    seller_hold_id: str
    base_amount: str
    quote_amount: str
    buyer_is_maker: bool
    def __init__(self, trade_id: _Optional[str] = ..., symbol: _Optional[str] = ..., base_asset: _Optional[str] = ..., quote_asset: _Optional[str] = ..., buyer_account_id: _Optional[str] = ..., seller_account_id: _Optional[str] = ..., buyer_hold_id: _Optional[str] = ..., seller_hold_id: _Optional[str] = ..., base_amount: _Optional[str] = ..., quote_amount: _Optional[str] = ..., buyer_is_maker: _Optional[bool] = ...) -> None: ...

class SettleTradeResponse(_message.Message):
    __slots__ = ("buyer_fee", "seller_fee", "duplicate")
    BUYER_FEE_FIELD_NUMBER: _ClassVar[int]
    SELLER_FEE_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    buyer_fee: str
    seller_fee: str
    duplicate: bool
    def __init__(self, buyer_fee: _Optional[str] = ..., seller_fee: _Optional[str] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class SettleTradesRequest(_message.Message):
    __slots__ = ("trades", "void_hold_ids")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    VOID_HOLD_IDS_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[SettleTradeRequest]
    void_hold_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, trades: _Optional[_Iterable[_Union[SettleTradeRequest, _Mapping]]] = ..., void_hold_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SettleTradesResponse(_message.Message):
    __slots__ = ("results", "voids")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    VOIDS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SettleTradesResult]
    voids: _containers.RepeatedCompositeFieldContainer[HoldResult]
    def __init__(self, results: _Optional[_Iterable[_Union[SettleTradesResult, _Mapping]]] = ..., voids: _Optional[_Iterable[_Union[HoldResult, _Mapping]]] = ...) -> None: ...

class SettleTradesResult(_message.Message):
    __slots__ = ("settled", "error")
    SETTLED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    settled: SettleTradeResponse
    error: SettleTradeError
    def __init__(self, settled: _Optional[_Union[SettleTradeResponse, _Mapping]] = ..., error: _Optional[_Union[SettleTradeError, _Mapping]] = ...) -> None: ...

class SettleTradeError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class TransferRequest(_message.Message):
    __slots__ = ("transfer_id", "from_account_id", "to_account_id", "asset", "amount")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    TO_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    from_account_id: str
    to_account_id: str
    asset: str
    amount: str
    def __init__(self, transfer_id: _Optional[str] = ..., from_account_id: _Optional[str] = ..., to_account_id: _Optional[str] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class TransferResponse(_message.Message):
    __slots__ = ("duplicate",)
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    duplicate: bool
    def __init__(self, duplicate: _Optional[bool] = ...) -> None: ...

class GetDepositAddressRequest(_message.Message):
    __slots__ = ("account_id", "asset", "network")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    asset: str
    network: str
    def __init__(self, account_id: _Optional[str] = ..., asset: _Optional[str] = ..., network: _Optional[str] = ...) -> None: ...

class GetDepositAddressResponse(_message.Message):
    __slots__ = ("address", "memo")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    address: str
    memo: str
    def __init__(self, address: _Optional[str] = ..., memo: _Optional[str] = ...) -> None: ...

class Deposit(_message.Message):
    __slots__ = ("deposit_id", "asset", "network", "amount", "tx_id", "confirmations", "status", "time")
    DEPOSIT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATIONS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    deposit_id: str
    asset: str
    network: str
    amount: str
    tx_id: str
    confirmations: int
    status: TransferStatus
    time: int
    def __init__(self, deposit_id: _Optional[str] = ..., asset: _Optional[str] = ..., network: _Optional[str] = ..., amount: _Optional[str] = ..., tx_id: _Optional[str] = ..., confirmations: _Optional[int] = ..., status: _Optional[_Union[TransferStatus, str]] = ..., time: _Optional[int] = ...) -> None: ...

class ListDepositsRequest(_message.Message):
    __slots__ = ("account_id", "page")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page: _common_pb2.PageRequest
    def __init__(self, account_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListDepositsResponse(_message.Message):
    __slots__ = ("deposits", "page")
    DEPOSITS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    deposits: _containers.RepeatedCompositeFieldContainer[Deposit]
    page: _common_pb2.PageResponse
    def __init__(self, deposits: _Optional[_Iterable[_Union[Deposit, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class Withdrawal(_message.Message):
    __slots__ = ("withdrawal_id", "asset", "network", "amount", "fee", "address", "memo", "status", "tx_id", "time", "account_id")
    WITHDRAWAL_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    withdrawal_id: str
    asset: str
    network: str
    amount: str
    fee: str
    address: str
    memo: str
    status: TransferStatus
    tx_id: str
    time: int
    account_id: str
    def __init__(self, withdrawal_id: _Optional[str] = ..., asset: _Optional[str] = ..., network: _Optional[str] = ..., amount: _Optional[str] = ..., fee: _Optional[str] = ..., address: _Optional[str] = ..., memo: _Optional[str] = ..., status: _Optional[_Union[TransferStatus, str]] = ..., tx_id: _Optional[str] = ..., time: _Optional[int] = ..., account_id: _Optional[str] = ...) -> None: ...

class RequestWithdrawalRequest(_message.Message):
    __slots__ = ("withdrawal_id", "account_id", "asset", "network", "amount", "address", "memo", "totp_code")
    WITHDRAWAL_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    withdrawal_id: str
    account_id: str
    asset: str
    network: str
    amount: str
    address: str
    memo: str
    totp_code: str
    def __init__(self, withdrawal_id: _Optional[str] = ..., account_id: _Optional[str] = ..., asset: _Optional[str] = ..., network: _Optional[str] = ..., amount: _Optional[str] = ..., address: _Optional[str] = ..., memo: _Optional[str] = ..., totp_code: _Optional[str] = ...) -> None: ...

class RequestWithdrawalResponse(_message.Message):
    __slots__ = ("withdrawal",)
    WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    withdrawal: Withdrawal
    def __init__(self, withdrawal: _Optional[_Union[Withdrawal, _Mapping]] = ...) -> None: ...

class ApproveWithdrawalRequest(_message.Message):
    __slots__ = ("withdrawal_id",)
    WITHDRAWAL_ID_FIELD_NUMBER: _ClassVar[int]
    withdrawal_id: str
    def __init__(self, withdrawal_id: _Optional[str] = ...) -> None: ...

class ApproveWithdrawalResponse(_message.Message):
    __slots__ = ("withdrawal",)
    WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    withdrawal: Withdrawal
    def __init__(self, withdrawal: _Optional[_Union[Withdrawal, _Mapping]] = ...) -> None: ...

class RejectWithdrawalRequest(_message.Message):
    __slots__ = ("withdrawal_id", "reason")
    WITHDRAWAL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    withdrawal_id: str
    reason: str
    def __init__(self, withdrawal_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectWithdrawalResponse(_message.Message):
    __slots__ = ("withdrawal",)
    WITHDRAWAL_FIELD_NUMBER: _ClassVar[int]
    withdrawal: Withdrawal
    def __init__(self, withdrawal: _Optional[_Union[Withdrawal, _Mapping]] = ...) -> None: ...

class ListWithdrawalsRequest(_message.Message):
    __slots__ = ("account_id", "page")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    page: _common_pb2.PageRequest
    def __init__(self, account_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListWithdrawalsResponse(_message.Message):
    __slots__ = ("withdrawals", "page")
    WITHDRAWALS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    withdrawals: _containers.RepeatedCompositeFieldContainer[Withdrawal]
    page: _common_pb2.PageResponse
    def __init__(self, withdrawals: _Optional[_Iterable[_Union[Withdrawal, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("transfer_id", "account_id", "asset", "available_delta", "locked_delta", "kind", "time")
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_DELTA_FIELD_NUMBER: _ClassVar[int]
    LOCKED_DELTA_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    account_id: str
    asset: str
    available_delta: str
    locked_delta: str
    kind: str
    time: int
    def __init__(self, transfer_id: _Optional[str] = ..., account_id: _Optional[str] = ..., asset: _Optional[str] = ..., available_delta: _Optional[str] = ..., locked_delta: _Optional[str] = ..., kind: _Optional[str] = ..., time: _Optional[int] = ...) -> None: ...

class StreamBalanceUpdatesRequest(_message.Message):
    __slots__ = ("account_id", "cursor")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    cursor: str
    def __init__(self, account_id: _Optional[str] = ..., cursor: _Optional[str] = ...) -> None: ...

class BalanceUpdate(_message.Message):
    __slots__ = ("account_id", "asset", "delta", "reason", "reference", "time")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    asset: str
    delta: str
    reason: BalanceUpdateReason
    reference: str
    time: int
    def __init__(self, account_id: _Optional[str] = ..., asset: _Optional[str] = ..., delta: _Optional[str] = ..., reason: _Optional[_Union[BalanceUpdateReason, str]] = ..., reference: _Optional[str] = ..., time: _Optional[int] = ...) -> None: ...

class StreamBalanceUpdatesResponse(_message.Message):
    __slots__ = ("cursor", "update")
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    cursor: str
    update: BalanceUpdate
    def __init__(self, cursor: _Optional[str] = ..., update: _Optional[_Union[BalanceUpdate, _Mapping]] = ...) -> None: ...

class ListLedgerEntriesRequest(_message.Message):
    __slots__ = ("account_id", "asset", "page")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    asset: str
    page: _common_pb2.PageRequest
    def __init__(self, account_id: _Optional[str] = ..., asset: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListLedgerEntriesResponse(_message.Message):
    __slots__ = ("entries", "page")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    page: _common_pb2.PageResponse
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class AllowListEntry(_message.Message):
    __slots__ = ("address", "memo")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    address: str
    memo: str
    def __init__(self, address: _Optional[str] = ..., memo: _Optional[str] = ...) -> None: ...

class SetWithdrawalAllowListRequest(_message.Message):
    __slots__ = ("account_id", "enabled", "entries", "totp_code")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    enabled: bool
    entries: _containers.RepeatedCompositeFieldContainer[AllowListEntry]
    totp_code: str
    def __init__(self, account_id: _Optional[str] = ..., enabled: _Optional[bool] = ..., entries: _Optional[_Iterable[_Union[AllowListEntry, _Mapping]]] = ..., totp_code: _Optional[str] = ...) -> None: ...

class SetWithdrawalAllowListResponse(_message.Message):
    __slots__ = ("enabled", "entries")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    entries: _containers.RepeatedCompositeFieldContainer[AllowListEntry]
    def __init__(self, enabled: _Optional[bool] = ..., entries: _Optional[_Iterable[_Union[AllowListEntry, _Mapping]]] = ...) -> None: ...

class GetWithdrawalAllowListRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetWithdrawalAllowListResponse(_message.Message):
    __slots__ = ("enabled", "entries")
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    enabled: bool
    entries: _containers.RepeatedCompositeFieldContainer[AllowListEntry]
    def __init__(self, enabled: _Optional[bool] = ..., entries: _Optional[_Iterable[_Union[AllowListEntry, _Mapping]]] = ...) -> None: ...

class GetFeeRatesRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class GetFeeRatesResponse(_message.Message):
    __slots__ = ("tier", "maker_bps", "taker_bps")
    TIER_FIELD_NUMBER: _ClassVar[int]
    MAKER_BPS_FIELD_NUMBER: _ClassVar[int]
    TAKER_BPS_FIELD_NUMBER: _ClassVar[int]
    tier: int
    maker_bps: int
    taker_bps: int
    def __init__(self, tier: _Optional[int] = ..., maker_bps: _Optional[int] = ..., taker_bps: _Optional[int] = ...) -> None: ...

class ListWithdrawalApprovalsRequest(_message.Message):
    __slots__ = ("page",)
    PAGE_FIELD_NUMBER: _ClassVar[int]
    page: _common_pb2.PageRequest
    def __init__(self, page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ...) -> None: ...

class ListWithdrawalApprovalsResponse(_message.Message):
    __slots__ = ("withdrawals", "page")
    WITHDRAWALS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    withdrawals: _containers.RepeatedCompositeFieldContainer[Withdrawal]
    page: _common_pb2.PageResponse
    def __init__(self, withdrawals: _Optional[_Iterable[_Union[Withdrawal, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class CreditAccountRequest(_message.Message):
    __slots__ = ("credit_id", "account_id", "asset", "amount", "reason")
    CREDIT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    credit_id: str
    account_id: str
    asset: str
    amount: str
    reason: str
    def __init__(self, credit_id: _Optional[str] = ..., account_id: _Optional[str] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CreditAccountResponse(_message.Message):
    __slots__ = ("deposit", "duplicate")
    DEPOSIT_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    deposit: Deposit
    duplicate: bool
    def __init__(self, deposit: _Optional[_Union[Deposit, _Mapping]] = ..., duplicate: _Optional[bool] = ...) -> None: ...

class RequestAccountStatementRequest(_message.Message):
    __slots__ = ("account_id", "month", "format")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    month: str
    format: StatementFormat
    def __init__(self, account_id: _Optional[str] = ..., month: _Optional[str] = ..., format: _Optional[_Union[StatementFormat, str]] = ...) -> None: ...

class RequestAccountStatementResponse(_message.Message):
    __slots__ = ("url", "expires_at", "entries")
    URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    url: str
    expires_at: int
    entries: int
    def __init__(self, url: _Optional[str] = ..., expires_at: _Optional[int] = ..., entries: _Optional[int] = ...) -> None: ...

class ArchiveLedgerDayRequest(_message.Message):
    __slots__ = ("date",)
    DATE_FIELD_NUMBER: _ClassVar[int]
    date: str
    def __init__(self, date: _Optional[str] = ...) -> None: ...

class ArchiveLedgerDayResponse(_message.Message):
    __slots__ = ("key", "rows", "sha256")
    KEY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    key: str
    rows: int
    sha256: str
    def __init__(self, key: _Optional[str] = ..., rows: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class VerifyLedgerArchiveRequest(_message.Message):
    __slots__ = ("date",)
    DATE_FIELD_NUMBER: _ClassVar[int]
    date: str
    def __init__(self, date: _Optional[str] = ...) -> None: ...

class VerifyLedgerArchiveResponse(_message.Message):
    __slots__ = ("equal", "archived", "archived_rows", "database_rows", "difference")
    EQUAL_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_ROWS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_ROWS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    equal: bool
    archived: bool
    archived_rows: int
    database_rows: int
    difference: str
    def __init__(self, equal: _Optional[bool] = ..., archived: _Optional[bool] = ..., archived_rows: _Optional[int] = ..., database_rows: _Optional[int] = ..., difference: _Optional[str] = ...) -> None: ...
