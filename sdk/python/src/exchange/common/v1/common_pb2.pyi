from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Side(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIDE_UNSPECIFIED: _ClassVar[Side]
    SIDE_BUY: _ClassVar[Side]
    SIDE_SELL: _ClassVar[Side]

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT_MAKER: _ClassVar[OrderType]
    ORDER_TYPE_STOP_LOSS: _ClassVar[OrderType]
    ORDER_TYPE_STOP_LOSS_LIMIT: _ClassVar[OrderType]
    ORDER_TYPE_TAKE_PROFIT: _ClassVar[OrderType]
    ORDER_TYPE_TAKE_PROFIT_LIMIT: _ClassVar[OrderType]

class TimeInForce(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_IN_FORCE_UNSPECIFIED: _ClassVar[TimeInForce]
    TIME_IN_FORCE_GTC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_IOC: _ClassVar[TimeInForce]
    TIME_IN_FORCE_FOK: _ClassVar[TimeInForce]

class SelfTradePreventionMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SELF_TRADE_PREVENTION_MODE_UNSPECIFIED: _ClassVar[SelfTradePreventionMode]
    SELF_TRADE_PREVENTION_MODE_NONE: _ClassVar[SelfTradePreventionMode]
    SELF_TRADE_PREVENTION_MODE_EXPIRE_TAKER: _ClassVar[SelfTradePreventionMode]
    SELF_TRADE_PREVENTION_MODE_EXPIRE_MAKER: _ClassVar[SelfTradePreventionMode]
    SELF_TRADE_PREVENTION_MODE_EXPIRE_BOTH: _ClassVar[SelfTradePreventionMode]

class OrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATUS_UNSPECIFIED: _ClassVar[OrderStatus]
    ORDER_STATUS_NEW: _ClassVar[OrderStatus]
    ORDER_STATUS_PARTIALLY_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_FILLED: _ClassVar[OrderStatus]
    ORDER_STATUS_CANCELED: _ClassVar[OrderStatus]
    ORDER_STATUS_REJECTED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED: _ClassVar[OrderStatus]
    ORDER_STATUS_EXPIRED_IN_MATCH: _ClassVar[OrderStatus]
    ORDER_STATUS_PENDING_NEW: _ClassVar[OrderStatus]

class ContingencyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTINGENCY_TYPE_UNSPECIFIED: _ClassVar[ContingencyType]
    CONTINGENCY_TYPE_OCO: _ClassVar[ContingencyType]
    CONTINGENCY_TYPE_OTO: _ClassVar[ContingencyType]
    CONTINGENCY_TYPE_OTOCO: _ClassVar[ContingencyType]

class SymbolStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SYMBOL_STATUS_UNSPECIFIED: _ClassVar[SymbolStatus]
    SYMBOL_STATUS_TRADING: _ClassVar[SymbolStatus]
    SYMBOL_STATUS_HALT: _ClassVar[SymbolStatus]
    SYMBOL_STATUS_BREAK: _ClassVar[SymbolStatus]
    SYMBOL_STATUS_CANCEL_ONLY: _ClassVar[SymbolStatus]
SIDE_UNSPECIFIED: Side
SIDE_BUY: Side
SIDE_SELL: Side
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_LIMIT: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT_MAKER: OrderType
ORDER_TYPE_STOP_LOSS: OrderType
ORDER_TYPE_STOP_LOSS_LIMIT: OrderType
ORDER_TYPE_TAKE_PROFIT: OrderType
ORDER_TYPE_TAKE_PROFIT_LIMIT: OrderType
TIME_IN_FORCE_UNSPECIFIED: TimeInForce
TIME_IN_FORCE_GTC: TimeInForce
TIME_IN_FORCE_IOC: TimeInForce
TIME_IN_FORCE_FOK: TimeInForce
SELF_TRADE_PREVENTION_MODE_UNSPECIFIED: SelfTradePreventionMode
SELF_TRADE_PREVENTION_MODE_NONE: SelfTradePreventionMode
SELF_TRADE_PREVENTION_MODE_EXPIRE_TAKER: SelfTradePreventionMode
SELF_TRADE_PREVENTION_MODE_EXPIRE_MAKER: SelfTradePreventionMode
SELF_TRADE_PREVENTION_MODE_EXPIRE_BOTH: SelfTradePreventionMode
ORDER_STATUS_UNSPECIFIED: OrderStatus
ORDER_STATUS_NEW: OrderStatus
ORDER_STATUS_PARTIALLY_FILLED: OrderStatus
ORDER_STATUS_FILLED: OrderStatus
ORDER_STATUS_CANCELED: OrderStatus
ORDER_STATUS_REJECTED: OrderStatus
ORDER_STATUS_EXPIRED: OrderStatus
ORDER_STATUS_EXPIRED_IN_MATCH: OrderStatus
ORDER_STATUS_PENDING_NEW: OrderStatus
CONTINGENCY_TYPE_UNSPECIFIED: ContingencyType
CONTINGENCY_TYPE_OCO: ContingencyType
CONTINGENCY_TYPE_OTO: ContingencyType
CONTINGENCY_TYPE_OTOCO: ContingencyType
SYMBOL_STATUS_UNSPECIFIED: SymbolStatus
SYMBOL_STATUS_TRADING: SymbolStatus
SYMBOL_STATUS_HALT: SymbolStatus
SYMBOL_STATUS_BREAK: SymbolStatus
SYMBOL_STATUS_CANCEL_ONLY: SymbolStatus

class AssetAmount(_message.Message):
    __slots__ = ("asset", "amount")
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    asset: str
    amount: str
    def __init__(self, asset: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class PageRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PageResponse(_message.Message):
    __slots__ = ("next_page_token",)
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    def __init__(self, next_page_token: _Optional[str] = ...) -> None: ...
