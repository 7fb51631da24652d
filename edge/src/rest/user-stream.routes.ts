import type { ListenKeys } from "../ws/listen-keys.js";
import { principalOf, type Route } from "./router.js";

// Binance's user data stream keys (USER_STREAM: the X-MBX-APIKEY header, no signature). A key
// belongs to the API key's user: PUT and DELETE of anyone else's key are -1125, as unknown ones.
// The keys live in the ListenKeys' store (per replica, or Redis shared by every edge replica).

export function userStreamRoutes(keys: ListenKeys): Route[] {
  return [
    {
      method: "POST",
      path: "/api/v3/userDataStream",
      security: "USER_STREAM",
      weight: 2,
      handle: async (context) => ({ listenKey: await keys.open(principalOf(context).userId) }),
    },
    {
      method: "PUT",
      path: "/api/v3/userDataStream",
      security: "USER_STREAM",
      weight: 2,
      handle: async (context) => {
        await keys.keepAlive(context.params.required("listenKey"), principalOf(context).userId);
        return {};
      },
    },
    {
      method: "DELETE",
      path: "/api/v3/userDataStream",
      security: "USER_STREAM",
      weight: 2,
      handle: async (context) => {
        await keys.delete(context.params.required("listenKey"), principalOf(context).userId);
        return {};
      },
    },
  ];
}
