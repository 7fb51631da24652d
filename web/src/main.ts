// The trading page: one symbol's book and tape live over server streams, the signed-in user's balances, orders and
// trades, all through the edge's public Connect API (Connect-Web over fetch, bearer token) with @exchange/sdk.
// Money stays the API's decimal strings end to end: shown as sent, compared with decimal.ts, never a JS number.
import { Code, ConnectError, ExchangeClient, OrderStatus, OrderType, Side, TimeInForce, type order } from "@exchange/sdk";
import { LocalBook } from "./book.js";

const client = new ExchangeClient({ baseUrl: new URL("/connect", location.href).href });
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let symbol = "BTCUSDT";
let signedIn: { email: string; userId: string } | undefined;
let session = new AbortController(); // aborted on sign-out: ends the user's streams
const market = new AbortController();

const STATUS: Record<number, string> = { [OrderStatus.NEW]: "NEW", [OrderStatus.PARTIALLY_FILLED]: "PARTIALLY_FILLED", [OrderStatus.FILLED]: "FILLED", [OrderStatus.CANCELED]: "CANCELED", [OrderStatus.REJECTED]: "REJECTED", [OrderStatus.EXPIRED]: "EXPIRED" };
const SIDE: Record<number, string> = { [Side.BUY]: "BUY", [Side.SELL]: "SELL" };

function message(error: unknown): string {
  if (error instanceof ConnectError) return error.code === Code.Unauthenticated ? "Signed out: sign in again." : error.rawMessage;
  return error instanceof Error ? error.message : String(error);
}

function say(id: string, text: string, ok = false): void {
  const element = $(id);
  element.textContent = text;
  element.className = ok ? "note ok" : text ? "note error" : "note";
}

/** Replaces a table body with rows of text cells (textContent only: nothing the API says becomes markup). */
function rows(id: string, data: readonly (readonly (string | Node)[])[], rowAttributes?: (index: number) => Record<string, string>): void {
  const body = $(id);
  body.replaceChildren(
    ...data.map((cells, index) => {
      const tr = document.createElement("tr");
      for (const [name, value] of Object.entries(rowAttributes?.(index) ?? {})) tr.setAttribute(name, value);
      for (const cell of cells) {
        const td = document.createElement("td");
        if (typeof cell === "string") td.textContent = cell;
        else td.append(cell);
        tr.append(td);
      }
      return tr;
    }),
  );
}

const time = (ms: bigint) => new Date(Number(ms)).toISOString().slice(11, 19);

/** The access token's subject: the user id (display only; the edge checks the token). */
function subjectOf(token: string): string {
  try {
    return (JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { sub?: string }).sub ?? "";
  } catch {
    return "";
  }
}

/** Runs a server stream until `signal` aborts, reopening it a second after it fails. */
async function follow<T>(open: (signal: AbortSignal) => AsyncIterable<T>, onMessage: (message: T) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
  while (!signal.aborted) {
    try {
      onOpen?.();
      for await (const item of open(signal)) onMessage(item);
    } catch (error) {
      if (signal.aborted) return;
      console.warn("stream failed, reopening", error);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

// --- market: the book and the tape, for everyone --------------------------------------------------------------
const book = new LocalBook();

function renderBook(): void {
  const { bids, asks } = book.levels(10);
  rows("book-asks", [...asks].reverse().map((l) => [l.price, l.quantity]));
  rows("book-bids", bids.map((l) => [l.price, l.quantity]));
}

function addToTape(trade: { price: string; qty: string; time: bigint; isBuyerMaker: boolean }): void {
  const tape = $("tape");
  const tr = document.createElement("tr");
  tr.className = trade.isBuyerMaker ? "sell" : "buy";
  for (const text of [time(trade.time), trade.price, trade.qty]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  tape.prepend(tr);
  while (tape.children.length > 30) tape.lastElementChild!.remove();
}

async function startMarket(): Promise<void> {
  const info = await client.order.getExchangeInfo({});
  const select = $<HTMLSelectElement>("symbol");
  select.replaceChildren(...info.symbols.map((s) => new Option(s.symbol, s.symbol, s.symbol === symbol, s.symbol === symbol)));
  const recent = await client.marketData.listTrades({ symbol, limit: 30 });
  for (const trade of recent.trades) addToTape(trade);
  void follow(
    (signal) => client.marketData.streamDepth({ symbol }, { signal }),
    ({ update }) => {
      if (!update) return;
      book.apply(update);
      renderBook();
    },
    market.signal,
    () => {
      // The snapshot after the stream is asked for: diffs from before it wait in the book.
      void client.marketData.getDepth({ symbol, limit: 100 }).then((depth) => {
        book.snapshot(depth.lastUpdateId, depth.bids, depth.asks);
        renderBook();
      });
    },
  );
  void follow((signal) => client.marketData.streamTrades({ symbol }, { signal }), ({ trade }) => trade && addToTape(trade), market.signal);
}

// --- the signed-in user ------------------------------------------------------------------------------------------
async function refreshAccount(): Promise<void> {
  if (!signedIn) return;
  const [{ balances }, open, history, trades] = await Promise.all([
    client.wallet.getBalances({}),
    client.order.listOpenOrders({ symbol }),
    client.order.listOrders({ symbol, limit: 50 }),
    client.order.listMyTrades({ symbol, limit: 50 }),
  ]);
  rows("balances", balances.map((b) => [b.asset, b.free, b.locked]), (i) => ({ "data-asset": balances[i]!.asset }));
  rows(
    "open-orders",
    open.orders.map((o) => [SIDE[o.side] ?? "", o.price, o.origQty, o.executedQty, STATUS[o.status] ?? "", cancelButton(o)]),
    (i) => ({ "data-order-id": String(open.orders[i]!.orderId) }),
  );
  const orders = [...history.orders].reverse();
  rows("order-history", orders.map((o) => [time(o.time), SIDE[o.side] ?? "", o.price, o.origQty, o.executedQty, STATUS[o.status] ?? ""]), (i) => ({ "data-order-id": String(orders[i]!.orderId) }));
  rows("my-trades", [...trades.trades].reverse().map((t) => [time(t.time), t.isBuyer ? "BUY" : "SELL", t.price, t.qty, `${t.commission} ${t.commissionAsset}`]));
}

function cancelButton(o: order.Order): HTMLButtonElement {
  const button = document.createElement("button");
  button.textContent = "Cancel";
  button.className = "cancel";
  button.onclick = async () => {
    button.disabled = true;
    try {
      await client.order.cancelOrder({ symbol: o.symbol, orderId: o.orderId });
      say("order-note", `Canceled order ${o.orderId}.`, true);
    } catch (error) {
      say("order-note", message(error));
    }
    await refreshAccount();
  };
  return button;
}

async function enter(email: string): Promise<void> {
  signedIn = { email, userId: subjectOf(client.accessToken ?? "") };
  session = new AbortController();
  $("who").textContent = `${email}`;
  $("who").dataset.userId = signedIn.userId;
  document.body.classList.add("signed-in");
  await refreshAccount();
  let timer: ReturnType<typeof setTimeout> | undefined;
  void follow(
    (signal) => client.order.streamOrderUpdates({}, { signal }),
    () => {
      clearTimeout(timer); // a fill comes as several updates: refresh once they settle
      timer = setTimeout(() => void refreshAccount().catch((error) => say("order-note", message(error))), 50);
    },
    session.signal,
  );
}

function leave(): void {
  session.abort();
  client.signOut();
  signedIn = undefined;
  document.body.classList.remove("signed-in");
  for (const id of ["balances", "open-orders", "order-history", "my-trades"]) rows(id, []);
  $("totp-setup").hidden = true;
}

// --- forms ------------------------------------------------------------------------------------------------------
function credentials(): { email: string; password: string; totp: string } {
  return { email: $<HTMLInputElement>("email").value.trim(), password: $<HTMLInputElement>("password").value, totp: $<HTMLInputElement>("totp").value.trim() };
}

$("sign-in").onclick = async (event) => {
  event.preventDefault();
  const { email, password, totp } = credentials();
  try {
    await client.signIn(email, password, totp);
    say("auth-note", "");
    $<HTMLInputElement>("password").value = "";
    $<HTMLInputElement>("totp").value = "";
    await enter(email);
  } catch (error) {
    say("auth-note", message(error));
  }
};

$("sign-up").onclick = async (event) => {
  event.preventDefault();
  const { email, password } = credentials();
  try {
    await client.auth.signUp({ email, password });
    say("auth-note", "Account created: sign in.", true);
  } catch (error) {
    say("auth-note", message(error));
  }
};

$("sign-out").onclick = () => leave();

$("totp-enroll").onclick = async () => {
  try {
    const { secret, otpauthUri } = await client.auth.enrollTotp({});
    $("totp-secret").textContent = secret;
    $("totp-uri").textContent = otpauthUri;
    $("totp-setup").hidden = false;
    say("totp-note", "Add the secret to your authenticator app, then enter its code.", true);
  } catch (error) {
    say("totp-note", message(error));
  }
};

$("totp-confirm").onclick = async () => {
  try {
    const { recoveryCodes } = await client.auth.confirmTotp({ code: $<HTMLInputElement>("totp-code").value.trim() });
    $("recovery-codes").textContent = recoveryCodes.join("  ");
    say("totp-note", "Two-factor sign-in is on. Keep the recovery codes somewhere safe.", true);
  } catch (error) {
    say("totp-note", message(error));
  }
};

$("place").onclick = async (event) => {
  event.preventDefault();
  const side = $<HTMLSelectElement>("side").value === "SELL" ? Side.SELL : Side.BUY;
  const price = $<HTMLInputElement>("price").value.trim();
  const quantity = $<HTMLInputElement>("quantity").value.trim();
  try {
    const { order } = await client.order.placeOrder({ symbol, side, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity });
    say("order-note", `Order ${order!.orderId}: ${STATUS[order!.status]}, ${order!.executedQty} of ${order!.origQty} filled.`, true);
  } catch (error) {
    say("order-note", message(error));
  }
  await refreshAccount();
};

$<HTMLSelectElement>("symbol").onchange = (event) => {
  // One symbol's streams per page load keeps the browser's six HTTP/1.1 connections free for calls.
  const url = new URL(location.href);
  url.searchParams.set("symbol", (event.target as HTMLSelectElement).value);
  location.href = url.href;
};

symbol = new URLSearchParams(location.search).get("symbol") ?? symbol;
$("market-symbol").textContent = symbol;
startMarket().catch((error) => say("auth-note", message(error)));
