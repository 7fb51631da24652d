from buf.validate import validate_pb2 as _validate_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerTimeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetServerTimeResponse(_message.Message):
    __slots__ = ("server_time",)
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    server_time: int
    def __init__(self, server_time: _Optional[int] = ...) -> None: ...

class PriceLevel(_message.Message):
    __slots__ = ("price", "quantity")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    price: str
    quantity: str
    def __init__(self, price: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class GetDepthRequest(_message.Message):
    __slots__ = ("symbol", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class GetDepthResponse(_message.Message):
    __slots__ = ("last_update_id", "bids", "asks")
    LAST_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    last_update_id: int
    bids: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    def __init__(self, last_update_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ...) -> None: ...

class PublicTrade(_message.Message):
    __slots__ = ("symbol", "id", "price", "qty", "quote_qty", "time", "is_buyer_maker")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    QUOTE_QTY_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_MAKER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    id: int
    price: str
    qty: str
    quote_qty: str
    time: int
    is_buyer_maker: bool
    def __init__(self, symbol: _Optional[str] = ..., id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., quote_qty: _Optional[str] = ..., time: _Optional[int] = ..., is_buyer_maker: _Optional[bool] = ...) -> None: ...

class ListTradesRequest(_message.Message):
    __slots__ = ("symbol", "limit", "from_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    limit: int
    from_id: int
    def __init__(self, symbol: _Optional[str] = ..., limit: _Optional[int] = ..., from_id: _Optional[int] = ...) -> None: ...

class ListTradesResponse(_message.Message):
    __slots__ = ("trades",)
    TRADES_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[PublicTrade]
    def __init__(self, trades: _Optional[_Iterable[_Union[PublicTrade, _Mapping]]] = ...) -> None: ...

class Kline(_message.Message):
    __slots__ = ("open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "trade_count", "taker_buy_base_volume", "taker_buy_quote_volume", "first_trade_id", "last_trade_id")
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TAKER_BUY_BASE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TAKER_BUY_QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    close_time: int
    quote_volume: str
    trade_count: int
    taker_buy_base_volume: str
    taker_buy_quote_volume: str
    first_trade_id: int
    last_trade_id: int
    def __init__(self, open_time: _Optional[int] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ..., close_time: _Optional[int] = ..., quote_volume: _Optional[str] = ..., trade_count: _Optional[int] = ..., taker_buy_base_volume: _Optional[str] = ..., taker_buy_quote_volume: _Optional[str] = ..., first_trade_id: _Optional[int] = ..., last_trade_id: _Optional[int] = ...) -> None: ...

class ListKlinesRequest(_message.Message):
    __slots__ = ("symbol", "interval", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    interval: str
    start_time: int
    end_time: int
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., interval: _Optional[str] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListKlinesResponse(_message.Message):
    __slots__ = ("klines",)
    KLINES_FIELD_NUMBER: _ClassVar[int]
    klines: _containers.RepeatedCompositeFieldContainer[Kline]
    def __init__(self, klines: _Optional[_Iterable[_Union[Kline, _Mapping]]] = ...) -> None: ...

class Ticker24h(_message.Message):
    __slots__ = ("symbol", "price_change", "price_change_percent", "weighted_avg_price", "last_price", "open_price", "high_price", "low_price", "volume", "quote_volume", "open_time", "close_time", "count", "prev_close_price", "last_qty", "first_id", "last_id")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PRICE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    PRICE_CHANGE_PERCENT_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_AVG_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    OPEN_PRICE_FIELD_NUMBER: _ClassVar[int]
    HIGH_PRICE_FIELD_NUMBER: _ClassVar[int]
    LOW_PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    PREV_CLOSE_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_QTY_FIELD_NUMBER: _ClassVar[int]
    FIRST_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_ID_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    price_change: str
    price_change_percent: str
    weighted_avg_price: str
    last_price: str
    open_price: str
    high_price: str
    low_price: str
    volume: str
    quote_volume: str
    open_time: int
    close_time: int
    count: int
    prev_close_price: str
    last_qty: str
    first_id: int
    last_id: int
    def __init__(self, symbol: _Optional[str] = ..., price_change: _Optional[str] = ..., price_change_percent: _Optional[str] = ..., weighted_avg_price: _Optional[str] = ..., last_price: _Optional[str] = ..., open_price: _Optional[str] = ..., high_price: _Optional[str] = ..., low_price: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ..., open_time: _Optional[int] = ..., close_time: _Optional[int] = ..., count: _Optional[int] = ..., prev_close_price: _Optional[str] = ..., last_qty: _Optional[str] = ..., first_id: _Optional[int] = ..., last_id: _Optional[int] = ...) -> None: ...

class GetTicker24hRequest(_message.Message):
    __slots__ = ("symbol", "window_ms")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    WINDOW_MS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    window_ms: int
    def __init__(self, symbol: _Optional[str] = ..., window_ms: _Optional[int] = ...) -> None: ...

class GetTicker24hResponse(_message.Message):
    __slots__ = ("ticker",)
    TICKER_FIELD_NUMBER: _ClassVar[int]
    ticker: Ticker24h
    def __init__(self, ticker: _Optional[_Union[Ticker24h, _Mapping]] = ...) -> None: ...

class GetBookTickerRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetBookTickerResponse(_message.Message):
    __slots__ = ("symbol", "bid_price", "bid_qty", "ask_price", "ask_qty")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    BID_PRICE_FIELD_NUMBER: _ClassVar[int]
    BID_QTY_FIELD_NUMBER: _ClassVar[int]
    ASK_PRICE_FIELD_NUMBER: _ClassVar[int]
    ASK_QTY_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    bid_price: str
    bid_qty: str
    ask_price: str
    ask_qty: str
    def __init__(self, symbol: _Optional[str] = ..., bid_price: _Optional[str] = ..., bid_qty: _Optional[str] = ..., ask_price: _Optional[str] = ..., ask_qty: _Optional[str] = ...) -> None: ...

class StreamDepthRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class DepthUpdate(_message.Message):
    __slots__ = ("symbol", "first_update_id", "final_update_id", "bids", "asks", "event_time")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FIRST_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    FINAL_UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    BIDS_FIELD_NUMBER: _ClassVar[int]
    ASKS_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    first_update_id: int
    final_update_id: int
    bids: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    asks: _containers.RepeatedCompositeFieldContainer[PriceLevel]
    event_time: int
    def __init__(self, symbol: _Optional[str] = ..., first_update_id: _Optional[int] = ..., final_update_id: _Optional[int] = ..., bids: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ..., asks: _Optional[_Iterable[_Union[PriceLevel, _Mapping]]] = ..., event_time: _Optional[int] = ...) -> None: ...

class StreamTradesRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class StreamTradesResponse(_message.Message):
    __slots__ = ("trade",)
    TRADE_FIELD_NUMBER: _ClassVar[int]
    trade: PublicTrade
    def __init__(self, trade: _Optional[_Union[PublicTrade, _Mapping]] = ...) -> None: ...

class StreamDepthResponse(_message.Message):
    __slots__ = ("update",)
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    update: DepthUpdate
    def __init__(self, update: _Optional[_Union[DepthUpdate, _Mapping]] = ...) -> None: ...

class GetAvgPriceRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class GetAvgPriceResponse(_message.Message):
    __slots__ = ("mins", "price", "close_time")
    MINS_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    mins: int
    price: str
    close_time: int
    def __init__(self, mins: _Optional[int] = ..., price: _Optional[str] = ..., close_time: _Optional[int] = ...) -> None: ...

class AggTrade(_message.Message):
    __slots__ = ("symbol", "id", "price", "qty", "first_trade_id", "last_trade_id", "time", "is_buyer_maker")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QTY_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    IS_BUYER_MAKER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    id: int
    price: str
    qty: str
    first_trade_id: int
    last_trade_id: int
    time: int
    is_buyer_maker: bool
    def __init__(self, symbol: _Optional[str] = ..., id: _Optional[int] = ..., price: _Optional[str] = ..., qty: _Optional[str] = ..., first_trade_id: _Optional[int] = ..., last_trade_id: _Optional[int] = ..., time: _Optional[int] = ..., is_buyer_maker: _Optional[bool] = ...) -> None: ...

class ListAggTradesRequest(_message.Message):
    __slots__ = ("symbol", "from_id", "start_time", "end_time", "limit")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    from_id: int
    start_time: int
    end_time: int
    limit: int
    def __init__(self, symbol: _Optional[str] = ..., from_id: _Optional[int] = ..., start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAggTradesResponse(_message.Message):
    __slots__ = ("agg_trades",)
    AGG_TRADES_FIELD_NUMBER: _ClassVar[int]
    agg_trades: _containers.RepeatedCompositeFieldContainer[AggTrade]
    def __init__(self, agg_trades: _Optional[_Iterable[_Union[AggTrade, _Mapping]]] = ...) -> None: ...

class StreamAggTradesRequest(_message.Message):
    __slots__ = ("symbol",)
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    def __init__(self, symbol: _Optional[str] = ...) -> None: ...

class StreamAggTradesResponse(_message.Message):
    __slots__ = ("agg_trade",)
    AGG_TRADE_FIELD_NUMBER: _ClassVar[int]
    agg_trade: AggTrade
    def __init__(self, agg_trade: _Optional[_Union[AggTrade, _Mapping]] = ...) -> None: ...

class TradeFilter(_message.Message):
    __slots__ = ("start_time", "end_time", "min_price", "max_price", "min_qty", "max_qty")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MIN_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAX_PRICE_FIELD_NUMBER: _ClassVar[int]
    MIN_QTY_FIELD_NUMBER: _ClassVar[int]
    MAX_QTY_FIELD_NUMBER: _ClassVar[int]
    start_time: int
    end_time: int
    min_price: str
    max_price: str
    min_qty: str
    max_qty: str
    def __init__(self, start_time: _Optional[int] = ..., end_time: _Optional[int] = ..., min_price: _Optional[str] = ..., max_price: _Optional[str] = ..., min_qty: _Optional[str] = ..., max_qty: _Optional[str] = ...) -> None: ...

class SearchTradesRequest(_message.Message):
    __slots__ = ("symbol", "filter", "limit", "cursor", "descending")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    filter: TradeFilter
    limit: int
    cursor: str
    descending: bool
    def __init__(self, symbol: _Optional[str] = ..., filter: _Optional[_Union[TradeFilter, _Mapping]] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ..., descending: _Optional[bool] = ...) -> None: ...

class SearchTradesResponse(_message.Message):
    __slots__ = ("trades", "next_cursor")
    TRADES_FIELD_NUMBER: _ClassVar[int]
    NEXT_CURSOR_FIELD_NUMBER: _ClassVar[int]
    trades: _containers.RepeatedCompositeFieldContainer[PublicTrade]
    next_cursor: str
    def __init__(self, trades: _Optional[_Iterable[_Union[PublicTrade, _Mapping]]] = ..., next_cursor: _Optional[str] = ...) -> None: ...

class TradeCandle(_message.Message):
    __slots__ = ("open_time", "close_time", "open", "high", "low", "close", "volume", "quote_volume", "vwap", "trade_count", "first_trade_id", "last_trade_id")
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    OPEN_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    CLOSE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    VWAP_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FIRST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    LAST_TRADE_ID_FIELD_NUMBER: _ClassVar[int]
    open_time: int
    close_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    quote_volume: str
    vwap: str
    trade_count: int
    first_trade_id: int
    last_trade_id: int
    def __init__(self, open_time: _Optional[int] = ..., close_time: _Optional[int] = ..., open: _Optional[str] = ..., high: _Optional[str] = ..., low: _Optional[str] = ..., close: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ..., vwap: _Optional[str] = ..., trade_count: _Optional[int] = ..., first_trade_id: _Optional[int] = ..., last_trade_id: _Optional[int] = ...) -> None: ...

class GetTradeCandlesRequest(_message.Message):
    __slots__ = ("symbol", "filter", "interval_ms")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    filter: TradeFilter
    interval_ms: int
    def __init__(self, symbol: _Optional[str] = ..., filter: _Optional[_Union[TradeFilter, _Mapping]] = ..., interval_ms: _Optional[int] = ...) -> None: ...

class GetTradeCandlesResponse(_message.Message):
    __slots__ = ("candles",)
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    candles: _containers.RepeatedCompositeFieldContainer[TradeCandle]
    def __init__(self, candles: _Optional[_Iterable[_Union[TradeCandle, _Mapping]]] = ...) -> None: ...

class GetTradeSummaryRequest(_message.Message):
    __slots__ = ("symbol", "filter")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    filter: TradeFilter
    def __init__(self, symbol: _Optional[str] = ..., filter: _Optional[_Union[TradeFilter, _Mapping]] = ...) -> None: ...

class GetTradeSummaryResponse(_message.Message):
    __slots__ = ("summary",)
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    summary: TradeCandle
    def __init__(self, summary: _Optional[_Union[TradeCandle, _Mapping]] = ...) -> None: ...

class GetVolumeByPriceRequest(_message.Message):
    __slots__ = ("symbol", "filter", "price_step")
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PRICE_STEP_FIELD_NUMBER: _ClassVar[int]
    symbol: str
    filter: TradeFilter
    price_step: str
    def __init__(self, symbol: _Optional[str] = ..., filter: _Optional[_Union[TradeFilter, _Mapping]] = ..., price_step: _Optional[str] = ...) -> None: ...

class PriceLevelVolume(_message.Message):
    __slots__ = ("price", "volume", "quote_volume", "trade_count")
    PRICE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    QUOTE_VOLUME_FIELD_NUMBER: _ClassVar[int]
    TRADE_COUNT_FIELD_NUMBER: _ClassVar[int]
    price: str
    volume: str
    quote_volume: str
    trade_count: int
    def __init__(self, price: _Optional[str] = ..., volume: _Optional[str] = ..., quote_volume: _Optional[str] = ..., trade_count: _Optional[int] = ...) -> None: ...

class GetVolumeByPriceResponse(_message.Message):
    __slots__ = ("levels",)
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    levels: _containers.RepeatedCompositeFieldContainer[PriceLevelVolume]
    def __init__(self, levels: _Optional[_Iterable[_Union[PriceLevelVolume, _Mapping]]] = ...) -> None: ...
