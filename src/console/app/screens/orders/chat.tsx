import { useState } from "preact/hooks";
import { get, type ListPage } from "../../api";
import { whenUtc } from "../../ui/format";
import { useLoad } from "../../ui/load";
import { ErrorNote } from "../../ui/page";
import { When } from "../../ui/when";
import { type People, Person } from "./people";
import type { Message, Order } from "./types";

const PAGE_SIZE = 100;

/**
 * The order's chat, read-only: staff may read it (GET /orders/{id}/messages) but only the
 * client and the expert write in it. Oldest first, a page at a time.
 */
export function Chat(props: { order: Order; people: People }) {
  const o = props.order;
  const [pages, setPages] = useState(1);
  const chat = useLoad(async () => {
    const out: Message[] = [];
    let count = 0;
    for (let page = 1; page <= pages; page++) {
      const r = await get<ListPage<Message>>(`/orders/${o.id}/messages`, { page, page_size: PAGE_SIZE });
      out.push(...r.results);
      count = r.count;
    }
    return { count, results: out };
  }, [o.id, pages]);
  const d = chat.data;
  return (
    <section class="card" aria-labelledby="order-chat">
      <h2 id="order-chat" class="card-title">
        Chat{d ? ` (${d.count})` : ""}
      </h2>
      <ErrorNote error={chat.error} />
      {d && d.count === 0 ? <p class="muted">No message.</p> : null}
      {d && d.count > 0 ? (
        <ol class="orders-chat" aria-label="Messages">
          {d.results.map((m) => {
            const side = m.sender_id === o.client_id ? "client" : m.sender_id === o.expert_id ? "expert" : "";
            return (
              <li key={m.id} class={side ? `orders-from-${side}` : undefined}>
                <span class="orders-meta">
                  <Person id={m.sender_id} people={props.people} />
                  {side ? ` (${side})` : ""} · <When iso={m.created_at} />
                </span>
                {m.is_deleted ? (
                  <em class="muted">
                    deleted {whenUtc(m.deleted_at)}
                    {m.deleted_by != null && m.deleted_by !== m.sender_id ? " by staff" : ""}
                  </em>
                ) : (
                  m.body
                )}
              </li>
            );
          })}
        </ol>
      ) : null}
      {d && d.results.length < d.count ? (
        <button type="button" class="secondary" disabled={chat.loading} onClick={() => setPages(pages + 1)}>
          Show more ({d.count - d.results.length})
        </button>
      ) : null}
    </section>
  );
}
