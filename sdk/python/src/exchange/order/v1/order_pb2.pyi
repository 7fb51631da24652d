from buf.validate import validate_pb2 as _validate_pb2
from exchange.common.v1 import common_pb2 as _common_pb2
from google.rpc import error_details_pb2 as _error_details_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResponseType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_TYPE_UNSPECIFIED: _ClassVar[ResponseType]
    RESPONSE_TYPE_ACK: _ClassVar[ResponseType]
    RESPONSE_TYPE_RESULT: _ClassVar[ResponseType]
    RESPONSE_TYPE_FULL: _ClassVar[ResponseType]

class CancelReplaceMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_REPLACE_MODE_UNSPECIFIED: _ClassVar[CancelReplaceMode]
    CANCEL_REPLACE_MODE_STOP_ON_FAILURE: _ClassVar[CancelReplaceMode]
    CANCEL_REPLACE_MODE_ALLOW_FAILURE: _ClassVar[CancelReplaceMode]

class CancelRestrictions(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_RESTRICTIONS_UNSPECIFIED: _ClassVar[CancelRestrictions]
    CANCEL_RESTRICTIONS_ONLY_NEW: _ClassVar[CancelRestrictions]
    CANCEL_RESTRICTIONS_ONLY_PARTIALLY_FILLED: _ClassVar[CancelRestrictions]

class OperationResult(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_RESULT_UNSPECIFIED: _ClassVar[OperationResult]
    OPERATION_RESULT_SUCCESS: _ClassVar[OperationResult]
    OPERATION_RESULT_FAILURE: _ClassVar[OperationResult]
    OPERATION_RESULT_NOT_ATTEMPTED: _ClassVar[OperationResult]

class ExecutionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXECUTION_TYPE_UNSPECIFIED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_NEW: _ClassVar[ExecutionType]
    EXECUTION_TYPE_CANCELED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_REPLACED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_REJECTED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_TRADE: _ClassVar[ExecutionType]
    EXECUTION_TYPE_EXPIRED: _ClassVar[ExecutionType]
    EXECUTION_TYPE_TRADE_PREVENTION: _ClassVar[ExecutionType]

class ListStatusType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_STATUS_TYPE_UNSPECIFIED: _ClassVar[ListStatusType]
    LIST_STATUS_TYPE_RESPONSE: _ClassVar[ListStatusType]
    LIST_STATUS_TYPE_EXEC_STARTED: _ClassVar[ListStatusType]
    LIST_STATUS_TYPE_ALL_DONE: _ClassVar[ListStatusType]

class ListOrderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIST_ORDER_STATUS_UNSPECIFIED: _ClassVar[ListOrderStatus]
    LIST_ORDER_STATUS_EXECUTING: _ClassVar[ListOrderStatus]
    LIST_ORDER_STATUS_ALL_DONE: _ClassVar[ListOrderStatus]
    LIST_ORDER_STATUS_REJECT: _ClassVar[ListOrderStatus]
RESPONSE_TYPE_UNSPECIFIED: ResponseType
RESPONSE_TYPE_ACK: ResponseType
RESPONSE_TYPE_RESULT: ResponseType
RESPONSE_TYPE_FULL: ResponseType
CANCEL_REPLACE_MODE_UNSPECIFIED: CancelReplaceMode
CANCEL_REPLACE_MODE_STOP_ON_FAILURE: CancelReplaceMode
CANCEL_REPLACE_MODE_ALLOW_FAILURE: CancelReplaceMode
CANCEL_RESTRICTIONS_UNSPECIFIED: CancelRestrictions
CANCEL_RESTRICTIONS_ONLY_NEW: CancelRestrictions
CANCEL_RESTRICTIONS_ONLY_PARTIALLY_FILLED: CancelRestrictions
OPERATION_RESULT_UNSPECIFIED: OperationResult
OPERATION_RESULT_SUCCESS: OperationResult
OPERATION_RESULT_FAILURE: OperationResult
OPERATION_RESULT_NOT_ATTEMPTED: OperationResult
EXECUTION_TYPE_UNSPECIFIED: ExecutionType
EXECUTION_TYPE_NEW: ExecutionType
EXECUTION_TYPE_CANCELED: ExecutionType
EXECUTION_TYPE_REPLACED: ExecutionType
EXECUTION_TYPE_REJECTED: ExecutionType
EXECUTION_TYPE_TRADE: ExecutionType
EXECUTION_TYPE_EXPIRED: ExecutionType
EXECUTION_TYPE_TRADE_PREVENTION: ExecutionType
LIST_STATUS_TYPE_UNSPECIFIED: ListStatusType
LIST_STATUS_TYPE_RESPONSE: ListStatusType
LIST_STATUS_TYPE_EXEC_STARTED: ListStatusType
LIST_STATUS_TYPE_ALL_DONE: ListStatusType
LIST_ORDER_STATUS_UNSPECIFIED: ListOrderStatus
LIST_ORDER_STATUS_EXECUTING: ListOrderStatus
LIST_ORDER_STATUS_ALL_DONE: ListOrderStatus
LIST_ORDER_STATUS_REJECT: ListOrderStatus

class SymbolFilters(_message.Message):
    __slots__ = ("min_price", "max_price", "tick_size", "min_qty", "max_qty", "step_size", "min_notional", "max_notional", "market_band_bps", "max_num_orders", "max_num_algo_orders", "max_num_iceberg_orders", "bid_multiplier_up", "bid_multiplier_down", "ask_multiplier_up", "ask_multiplier_down", "min_trailing_delta", "max_trailing_delta", "iceberg_parts", "avg_price_mins")
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    TICK_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    MAX_QTY_FIELD_NUMBER: _ClassVar[int]
    STEP_SIZE_FIELD_NUMBER: _ClassVar[int]
    MIN_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    MAX_NOTIONAL_FIELD_NUMBER: _ClassVar[int]
    MARKET_BAND_BPS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ORDERS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ALGO_ORDERS_FIELD_NUMBER: _ClassVar[int]
    MAX_NUM_ICEBERG_ORDERS_FIELD_NUMBER: _ClassVar[int]
    BID_MULTIPLIER_UP_FIELD_NUMBER: _ClassVar[int]
    BID_MULTIPLIER_DOWN_FIELD_NUMBER: _ClassVar[int]
    ASK_MULTIPLIER_UP_FIELD_NUMBER: _ClassVar[int]
    ASK_MULTIPLIER_DOWN_FIELD_NUMBER: _ClassVar[int]
    MIN_TRAILING_DELTA_FIELD_NUMBER: _ClassVar[int]
    MAX_TRAILING_DELTA_FIELD_NUMBER: _ClassVar[int]
    ICEBERG_PARTS_FIELD_NUMBER: _ClassVar[int]
    AVG_PRICE_MINS_FIELD_NUMBER: _ClassVar[int]
    min_price: str
    max_price: str
    tick_size: str
    min_qty: str
    max_qty: str
    step_size: str
    min_notional: str
    max_notional: str
    market_band_bps: int
    max_num_orders: int
    max_num_algo_orders: int
    max_num_iceberg_orders: int
    bid_multiplier_up: str
    bid_multiplier_down: str
    ask_multiplier_up: str
    ask_multiplier_down: str
    min_trailing_delta: int
    max_trailing_delta: int
    iceberg_parts: int
    avg_price_mins: int
    def __init__(self, min_price: _Optional[str] = ..., max_price: _Optional[str] = ..., tick_size: _Optional[str] = ..., min_qty: _Optional[str] = ..., max_qty: _Optional[str] = ..., step_size: _Optional[str] = ..., min_notional: _Optional[str] = ..., max_notional: _Optional[str] = ..., market_band_bps: _Optional[int] = ..., max_num_orders: _Optional[int] = ..., max_num_algo_orders: _Optional[int] = ..., max_num_iceberg_orders: _Optional[int] = ..., bid_multiplier_up: _Optional[str] = ..., bid_multiplier_down: _Optional[str] = ..., ask_multiplier_up: _Optional[str] = ..., ask_multiplier_down: _Optional[str] = ..., min_trailing_delta: _Optional[int] = ..., max_trailing_delta: _Optional[int] = ..., iceberg_parts: _Optional[int] = ..., avg_price_mins: _Optional[int] = ...) -> None: ...

class SymbolInfo(_message.Message):
    __slots__ = ("symbol", "status", "base_asset", "quote_asset", "base_asset_precision", "quote_asset_precision", "order_types", "iceberg_allowed", "cancel_replace_allowed", "filters", "allowed_self_trade_prevention_modes", "default_self_trade_prevention_mode", "oco_allowed", "oto_allowed", "allow_trailing_stop")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_FIELD_NUMBER: _ClassVar[int]
    BASE_ASSET_PRECISION_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ASSET_PRECISION_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPES_FIELD_NUMBER: _ClassVar[int]
    ICEBERG_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REPLACE_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SELF_TRADE_PREVENTION_MODES_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    OCO_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    OTO_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    ALLOW_TRAILING_STOP_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    status: _common_pb2.SymbolStatus
    base_asset: str
    quote_asset: str
    base_asset_precision: int
    quote_asset_precision: int
    order_types: _containers.RepeatedScalarFieldContainer[_common_pb2.OrderType]
    iceberg_allowed: bool
    cancel_replace_allowed: bool
    filters: SymbolFilters
    allowed_self_trade_prevention_modes: _containers.RepeatedScalarFieldContainer[_common_pb2.SelfTradePreventionMode]
    default_self_trade_prevention_mode: _common_pb2.SelfTradePreventionMode
    oco_allowed: bool
    oto_allowed: bool
    allow_trailing_stop: bool
    def __init__(self, symbol: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.SymbolStatus, str]] = ..., base_asset: _Optional[str] = ..., quote_asset: _Optional[str] = ..., base_asset_precision: _Optional[int] = ..., quote_asset_precision: _Optional[int] = ..., order_types: _Optional[_Iterable[_Union[_common_pb2.OrderType, str]]] = ..., iceberg_allowed: _Optional[bool] = ..., cancel_replace_allowed: _Optional[bool] = ..., filters: _Optional[_Union[SymbolFilters, _Mapping]] = ..., allowed_self_trade_prevention_modes: _Optional[_Iterable[_Union[_common_pb2.SelfTradePreventionMode, str]]] = ..., default_self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePreventionMode, str]] = ..., oco_allowed: _Optional[bool] = ..., oto_allowed: _Optional[bool] = ..., allow_trailing_stop: _Optional[bool] = ...) -> None: ...

class GetExchangeInfoRequest(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, symbols: _Optional[_Iterable[str]] = ...) -> None: ...

class GetExchangeInfoResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolInfo]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolInfo, _Mapping]]] = ...) -> None: ...

class PlaceOrderRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "side", "type", "time_in_force", "quantity", "quote_order_qty", "price", "stop_price", "trailing_delta", "iceberg_qty", "client_order_id", "self_trade_prevention_mode", "response_type")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    TRAILING_DELTA_FIELD_NUMBER: _ClassVar[int]
    ICEBERG_QTY_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    side: _common_pb2.Side
    type: _common_pb2.OrderType
    time_in_force: _common_pb2.TimeInForce
    quantity: str
    quote_order_qty: str
    price: str
    stop_price: str
    trailing_delta: int
    iceberg_qty: str
    client_order_id: str
    self_trade_prevention_mode: _common_pb2.SelfTradePreventionMode
    response_type: ResponseType
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., quantity: _Optional[str] = ..., quote_order_qty: _Optional[str] = ..., price: _Optional[str] = ..., stop_price: _Optional[str] = ..., trailing_delta: _Optional[int] = ..., iceberg_qty: _Optional[str] = ..., client_order_id: _Optional[str] = ..., self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePreventionMode, str]] = ..., response_type: _Optional[_Union[ResponseType, str]] = ...) -> None: ...

class Fill(_message.Message):
    __slots__ = ("price", "quantity", "commission", "commission_asset", "trade_id")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    price: str
    quantity: str
    commission: str
    commission_asset: str
    trade_id: int
    def __init__(self, price: _Optional[str] = ..., quantity: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., trade_id: _Optional[int] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("account_id", "symbol", "order_id", "client_order_id", "price", "orig_qty", "executed_qty", "cummulative_quote_qty", "status", "time_in_force", "type", "side", "stop_price", "iceberg_qty", "time", "update_time", "is_working", "orig_quote_order_qty", "self_trade_prevention_mode", "trailing_delta", "fills", "order_list_id", "working_time", "trailing_time")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    ORIG_QTY_FIELD_NUMBER: _ClassVar[int]
    EXECUTED_QTY_FIELD_NUMBER: _ClassVar[int]
    CUMMULATIVE_QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TIME_IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    STOP_PRICE_FIELD_NUMBER: _ClassVar[int]
    ICEBERG_QTY_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    IS_WORKING_FIELD_NUMBER: _ClassVar[int]
    ORIG_QUOTE_ORDER_QTY_FIELD_NUMBER: _ClassVar[int]
    SELF_TRADE_PREVENTION_MODE_FIELD_NUMBER: _ClassVar[int]
    TRAILING_DELTA_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    WORKING_TIME_FIELD_NUMBER: _ClassVar[int]
    TRAILING_TIME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    order_id: int
    client_order_id: str
    price: str
    orig_qty: str
    executed_qty: str
    cummulative_quote_qty: str
    status: _common_pb2.OrderStatus
    time_in_force: _common_pb2.TimeInForce
    type: _common_pb2.OrderType
    side: _common_pb2.Side
    stop_price: str
    iceberg_qty: str
    time: int
    update_time: int
    is_working: bool
    orig_quote_order_qty: str
    self_trade_prevention_mode: _common_pb2.SelfTradePreventionMode
    trailing_delta: int
    fills: _containers.RepeatedCompositeFieldContainer[Fill]
    order_list_id: int
    working_time: int
    trailing_time: int
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., client_order_id: _Optional[str] = ..., price: _Optional[str] = ..., orig_qty: _Optional[str] = ..., executed_qty: _Optional[str] = ..., cummulative_quote_qty: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.OrderStatus, str]] = ..., time_in_force: _Optional[_Union[_common_pb2.TimeInForce, str]] = ..., type: _Optional[_Union[_common_pb2.OrderType, str]] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., stop_price: _Optional[str] = ..., iceberg_qty: _Optional[str] = ..., time: _Optional[int] = ..., update_time: _Optional[int] = ..., is_working: _Optional[bool] = ..., orig_quote_order_qty: _Optional[str] = ..., self_trade_prevention_mode: _Optional[_Union[_common_pb2.SelfTradePreventionMode, str]] = ..., trailing_delta: _Optional[int] = ..., fills: _Optional[_Iterable[_Union[Fill, _Mapping]]] = ..., order_list_id: _Optional[int] = ..., working_time: _Optional[int] = ..., trailing_time: _Optional[int] = ...) -> None: ...

class PlaceOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "order_id", "orig_client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    order_id: int
    orig_client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class OperationError(_message.Message):
    __slots__ = ("code", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class CancelReplaceOrderRequest(_message.Message):
    __slots__ = ("cancel", "place", "mode", "cancel_restrictions")
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    PLACE_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_RESTRICTIONS_FIELD_NUMBER: _ClassVar[int]
    cancel: CancelOrderRequest
    place: PlaceOrderRequest
    mode: CancelReplaceMode
    cancel_restrictions: CancelRestrictions
    def __init__(self, cancel: _Optional[_Union[CancelOrderRequest, _Mapping]] = ..., place: _Optional[_Union[PlaceOrderRequest, _Mapping]] = ..., mode: _Optional[_Union[CancelReplaceMode, str]] = ..., cancel_restrictions: _Optional[_Union[CancelRestrictions, str]] = ...) -> None: ...

class CancelReplaceOrderResponse(_message.Message):
    __slots__ = ("canceled", "placed", "cancel_result", "new_order_result", "cancel_error", "new_order_error")
    CANCELED_FIELD_NUMBER: _ClassVar[int]
    PLACED_FIELD_NUMBER: _ClassVar[int]
    CANCEL_RESULT_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_RESULT_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEW_ORDER_ERROR_FIELD_NUMBER: _ClassVar[int]
    canceled: Order
    placed: Order
    cancel_result: OperationResult
    new_order_result: OperationResult
    cancel_error: OperationError
    new_order_error: OperationError
    def __init__(self, canceled: _Optional[_Union[Order, _Mapping]] = ..., placed: _Optional[_Union[Order, _Mapping]] = ..., cancel_result: _Optional[_Union[OperationResult, str]] = ..., new_order_result: _Optional[_Union[OperationResult, str]] = ..., cancel_error: _Optional[_Union[OperationError, _Mapping]] = ..., new_order_error: _Optional[_Union[OperationError, _Mapping]] = ...) -> None: ...

class AmendOrderRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "order_id", "orig_client_order_id", "new_qty")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    NEW_QTY_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    order_id: int
    orig_client_order_id: str
    new_qty: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ..., new_qty: _Optional[str] = ...) -> None: ...

class AmendOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class CancelAllOrdersRequest(_message.Message):
    __slots__ = ("account_id", "symbol")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class CancelAllOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "order_id", "orig_client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORIG_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    order_id: int
    orig_client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., order_id: _Optional[int] = ..., orig_client_order_id: _Optional[str] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: Order
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ...) -> None: ...

class ListOpenOrdersRequest(_message.Message):
    __slots__ = ("account_id", "symbol")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class ListOpenOrdersResponse(_message.Message):
    __slots__ = ("orders",)
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "page", "from_order_id", "start_time", "end_time", "limit")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    FROM_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    page: _common_pb2.PageRequest
    from_order_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., from_order_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "page")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    page: _common_pb2.PageResponse
    def __init__(self, orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class Trade(_message.Message):
    __slots__ = ("symbol", "id", "order_id", "price", "qty", "quote_qty", "commission", "commission_asset", "time", "is_buyer", "is_maker")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_FIELD_NUMBER: _ClassVar[int]
    IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    id: int
    order_id: int
    price: str
    qty: str
    quote_qty: str
    commission: str
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    def __init__(self, symbol: _Optional[str] = ..., id: _Optional[int] = ..., order_id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., quote_qty: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., time: _Optional[int] = ..., is_buyer: _Optional[bool] = ..., is_maker: _Optional[bool] = ...) -> None: ...

class ListMyTradesRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "page", "order_id", "from_id", "start_time", "end_time", "limit")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    page: _common_pb2.PageRequest
    order_id: int
    from_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., order_id: _Optional[int] = ..., from_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListMyTradesResponse(_message.Message):
    __slots__ = ("trades", "page")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[Trade]
    page: _common_pb2.PageResponse
    def __init__(self, trades: _Optional[_Iterable[_Union[Trade, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageResponse, _Mapping]] = ...) -> None: ...

class StreamOrderUpdatesRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class OrderUpdate(_message.Message):
    __slots__ = ("order", "execution_type", "reject_reason", "transaction_time", "trade_id", "last_executed_qty", "last_executed_price", "last_quote_qty", "commission", "commission_asset", "is_maker", "balances_changed", "order_list", "expiry_reason")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    REJECT_REASON_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_TIME_FIELD_NUMBER: _ClassVar[int]
    TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTED_QTY_FIELD_NUMBER: _ClassVar[int]
    LAST_EXECUTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_FIELD_NUMBER: _ClassVar[int]
    COMMISSION_ASSET_FIELD_NUMBER: _ClassVar[int]
    IS_MAKER_FIELD_NUMBER: _ClassVar[int]
    BALANCES_CHANGED_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_REASON_FIELD_NUMBER: _ClassVar[int]
    order: Order
    execution_type: ExecutionType
    reject_reason: str
    transaction_time: int
    trade_id: int
    last_executed_qty: str
    last_executed_price: str
    last_quote_qty: str
    commission: str
    commission_asset: str
    is_maker: bool
    balances_changed: bool
    order_list: OrderList
    expiry_reason: str
    def __init__(self, order: _Optional[_Union[Order, _Mapping]] = ..., execution_type: _Optional[_Union[ExecutionType, str]] = ..., reject_reason: _Optional[str] = ..., transaction_time: _Optional[int] = ..., trade_id: _Optional[int] = ..., last_executed_qty: _Optional[str] = ..., last_executed_price: _Optional[str] = ..., last_quote_qty: _Optional[str] = ..., commission: _Optional[str] = ..., commission_asset: _Optional[str] = ..., is_maker: _Optional[bool] = ..., balances_changed: _Optional[bool] = ..., order_list: _Optional[_Union[OrderList, _Mapping]] = ..., expiry_reason: _Optional[str] = ...) -> None: ...

class StreamOrderUpdatesResponse(_message.Message):
    __slots__ = ("update",)
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    update: OrderUpdate
    def __init__(self, update: _Optional[_Union[OrderUpdate, _Mapping]] = ...) -> None: ...

class StreamOrderEntryRequest(_message.Message):
    __slots__ = ("place", "cancel")
    PLACE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    place: PlaceOrderRequest
    cancel: CancelOrderRequest
    def __init__(self, place: _Optional[_Union[PlaceOrderRequest, _Mapping]] = ..., cancel: _Optional[_Union[CancelOrderRequest, _Mapping]] = ...) -> None: ...

class OrderEntryStatus(_message.Message):
    __slots__ = ("code", "binance_code", "message", "field_violations", "retry_after_ms")
    CODE_FIELD_NUMBER: _ClassVar[int]
    BINANCE_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    code: int
    binance_code: int
    message: str
    field_violations: _containers.RepeatedCompositeFieldContainer[_error_details_pb2.BadRequest.FieldViolation]
    retry_after_ms: int
    def __init__(self, code: _Optional[int] = ..., binance_code: _Optional[int] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[_error_details_pb2.BadRequest.FieldViolation, _Mapping]]] = ..., retry_after_ms: _Optional[int] = ...) -> None: ...

class OrderEntryAck(_message.Message):
    __slots__ = ("request_index", "client_order_id", "order", "error")
    REQUEST_INDEX_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_index: int
    client_order_id: str
    order: Order
    error: OrderEntryStatus
    def __init__(self, request_index: _Optional[int] = ..., client_order_id: _Optional[str] = ..., order: _Optional[_Union[Order, _Mapping]] = ..., error: _Optional[_Union[OrderEntryStatus, _Mapping]] = ...) -> None: ...

class StreamOrderEntryResponse(_message.Message):
    __slots__ = ("ack", "report")
    ACK_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    ack: OrderEntryAck
    report: OrderUpdate
    def __init__(self, ack: _Optional[_Union[OrderEntryAck, _Mapping]] = ..., report: _Optional[_Union[OrderUpdate, _Mapping]] = ...) -> None: ...

class OrderList(_message.Message):
    __slots__ = ("order_list_id", "contingency_type", "list_status_type", "list_order_status", "list_client_order_id", "transaction_time", "symbol", "account_id", "orders")
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    CONTINGENCY_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIST_STATUS_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIST_ORDER_STATUS_FIELD_NUMBER: _ClassVar[int]
    LIST_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_TIME_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    order_list_id: int
    contingency_type: _common_pb2.ContingencyType
    list_status_type: ListStatusType
    list_order_status: ListOrderStatus
    list_client_order_id: str
    transaction_time: int
    symbol: str
    account_id: str
    orders: _containers.RepeatedCompositeFieldContainer[Order]
    def __init__(self, order_list_id: _Optional[int] = ..., contingency_type: _Optional[_Union[_common_pb2.ContingencyType, str]] = ..., list_status_type: _Optional[_Union[ListStatusType, str]] = ..., list_order_status: _Optional[_Union[ListOrderStatus, str]] = ..., list_client_order_id: _Optional[str] = ..., transaction_time: _Optional[int] = ..., symbol: _Optional[str] = ..., account_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[Order, _Mapping]]] = ...) -> None: ...

class PlaceOrderListRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "contingency_type", "list_client_order_id", "orders", "response_type")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    CONTINGENCY_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIST_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    contingency_type: _common_pb2.ContingencyType
    list_client_order_id: str
    orders: _containers.RepeatedCompositeFieldContainer[PlaceOrderRequest]
    response_type: ResponseType
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., contingency_type: _Optional[_Union[_common_pb2.ContingencyType, str]] = ..., list_client_order_id: _Optional[str] = ..., orders: _Optional[_Iterable[_Union[PlaceOrderRequest, _Mapping]]] = ..., response_type: _Optional[_Union[ResponseType, str]] = ...) -> None: ...

class PlaceOrderListResponse(_message.Message):
    __slots__ = ("order_list",)
    ORDER_LIST_FIELD_NUMBER: _ClassVar[int]
    order_list: OrderList
    def __init__(self, order_list: _Optional[_Union[OrderList, _Mapping]] = ...) -> None: ...

class CancelOrderListRequest(_message.Message):
    __slots__ = ("account_id", "symbol", "order_list_id", "list_client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    LIST_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    symbol: str
    order_list_id: int
    list_client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., symbol: _Optional[str] = ..., order_list_id: _Optional[int] = ..., list_client_order_id: _Optional[str] = ...) -> None: ...

class CancelOrderListResponse(_message.Message):
    __slots__ = ("order_list",)
    ORDER_LIST_FIELD_NUMBER: _ClassVar[int]
    order_list: OrderList
    def __init__(self, order_list: _Optional[_Union[OrderList, _Mapping]] = ...) -> None: ...

class GetOrderListRequest(_message.Message):
    __slots__ = ("account_id", "order_list_id", "list_client_order_id")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    LIST_CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    order_list_id: int
    list_client_order_id: str
    def __init__(self, account_id: _Optional[str] = ..., order_list_id: _Optional[int] = ..., list_client_order_id: _Optional[str] = ...) -> None: ...

class GetOrderListResponse(_message.Message):
    __slots__ = ("order_list",)
    ORDER_LIST_FIELD_NUMBER: _ClassVar[int]
    order_list: OrderList
    def __init__(self, order_list: _Optional[_Union[OrderList, _Mapping]] = ...) -> None: ...

class ListOrderListsRequest(_message.Message):
    __slots__ = ("account_id", "from_id", "start_time", "end_time", "limit")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    from_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, account_id: _Optional[str] = ..., from_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListOrderListsResponse(_message.Message):
    __slots__ = ("order_lists",)
    ORDER_LISTS_FIELD_NUMBER: _ClassVar[int]
    order_lists: _containers.RepeatedCompositeFieldContainer[OrderList]
    def __init__(self, order_lists: _Optional[_Iterable[_Union[OrderList, _Mapping]]] = ...) -> None: ...

class ListOpenOrderListsRequest(_message.Message):
    __slots__ = ("account_id",)
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    def __init__(self, account_id: _Optional[str] = ...) -> None: ...

class ListOpenOrderListsResponse(_message.Message):
    __slots__ = ("order_lists",)
    ORDER_LISTS_FIELD_NUMBER: _ClassVar[int]
    order_lists: _containers.RepeatedCompositeFieldContainer[OrderList]
    def __init__(self, order_lists: _Optional[_Iterable[_Union[OrderList, _Mapping]]] = ...) -> None: ...

class ArchiveTradesDayRequest(_message.Message):
    __slots__ = ("date",)
    DATE_FIELD_NUMBER: _ClassVar[int]
    date: str
    def __init__(self, date: _Optional[str] = ...) -> None: ...

class ArchivedPartition(_message.Message):
    __slots__ = ("symbol", "key", "rows", "sha256")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    key: str
    rows: int
    sha256: str
    def __init__(self, symbol: _Optional[str] = ..., key: _Optional[str] = ..., rows: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class ArchiveTradesDayResponse(_message.Message):
    __slots__ = ("partitions",)
    PARTITIONS_FIELD_NUMBER: _ClassVar[int]
    partitions: _containers.RepeatedCompositeFieldContainer[ArchivedPartition]
    def __init__(self, partitions: _Optional[_Iterable[_Union[ArchivedPartition, _Mapping]]] = ...) -> None: ...

class VerifyTradesArchiveRequest(_message.Message):
    __slots__ = ("date",)
    DATE_FIELD_NUMBER: _ClassVar[int]
    date: str
    def __init__(self, date: _Optional[str] = ...) -> None: ...

class TradesArchiveCheck(_message.Message):
    __slots__ = ("symbol", "equal", "archived", "archived_rows", "database_rows", "difference")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    EQUAL_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_ROWS_FIELD_NUMBER: _ClassVar[int]
    DATABASE_ROWS_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCE_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    equal: bool
    archived: bool
    archived_rows: int
    database_rows: int
    difference: str
    def __init__(self, symbol: _Optional[str] = ..., equal: _Optional[bool] = ..., archived: _Optional[bool] = ..., archived_rows: _Optional[int] = ..., database_rows: _Optional[int] = ..., difference: _Optional[str] = ...) -> None: ...

class VerifyTradesArchiveResponse(_message.Message):
    __slots__ = ("equal", "symbols")
    EQUAL_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    equal: bool
    symbols: _containers.RepeatedCompositeFieldContainer[TradesArchiveCheck]
    def __init__(self, equal: _Optional[bool] = ..., symbols: _Optional[_Iterable[_Union[TradesArchiveCheck, _Mapping]]] = ...) -> None: ...
