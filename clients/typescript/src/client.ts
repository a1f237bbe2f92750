// A small client of the Leergemeenschap API, as a frontend team would write it with the types
// openapi-typescript generates from openapi/openapi.json (src/api.d.ts) and openapi-fetch.
// It is type-checked (tsc --strict) by `make typecheck-clients`, never run: every answer must
// be usable as the document types it, without a cast.
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Schemas = components["schemas"];

export function connect(baseUrl: string, apiKey: string) {
  return createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${apiKey}` },
  });
}

type Api = ReturnType<typeof connect>;

// A member list, page by page: `items` and `next` as the document declares them.
export async function memberNames(api: Api, departmentId?: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/members", {
      params: {
        query: {
          pageSize: 100,
          status: "active",
          sort: "familyName",
          ...(departmentId ? { departmentId } : {}),
          ...(cursor ? { cursor } : {}),
        },
      },
    });
    if (error) throw new Error(`${error.status} ${error.title}: ${error.detail}`);
    for (const member of data.items) {
      names.push(member.displayName ?? `${member.givenName} ${member.familyName}`);
    }
    cursor = data.next ? (new URL(data.next).searchParams.get("cursor") ?? undefined) : undefined;
  } while (cursor);
  return names;
}

// The agenda in force (or at a moment): a revision, never a string.
export async function agendaTitles(api: Api, asOf?: string): Promise<string[]> {
  const { data, error } = await api.GET("/agenda", {
    params: { query: asOf ? { asOf } : {} },
  });
  if (error) throw new Error(error.detail);
  const revision: Schemas["RevisionRead"] = data;
  return revision.items.map((item) => `${item.rank}. [${item.priority}] ${item.question.title}`);
}

// The same agenda as CSV, from the operation that serves only CSV.
export async function agendaSheet(api: Api): Promise<string> {
  const { data, error } = await api.GET("/agenda/export.csv", { parseAs: "text" });
  if (error) throw new Error(error.detail);
  return data;
}

// One learning group with its members.
export async function groupRoster(api: Api, groupId: string): Promise<string[]> {
  const { data, error, response } = await api.GET("/learning-groups/{groupId}", {
    params: { path: { groupId } },
  });
  if (error) throw new Error(`${response.status}: ${error.detail}`);
  const etag: string | null = response.headers.get("ETag");
  const heading = `${data.name} (${data.status}, version ${data.version}, ${etag ?? "no ETag"})`;
  return [heading, ...data.members.map((m) => `${m.displayName}: ${m.role}`)];
}

// Joining a group: `role` has a default, so it may be left out; the answer is the membership.
export async function join(
  api: Api,
  groupId: string,
  memberId: string,
): Promise<Schemas["MembershipRead"]> {
  const { data, error } = await api.POST("/learning-groups/{groupId}/memberships", {
    params: { path: { groupId }, header: { "Idempotency-Key": `join-${groupId}-${memberId}` } },
    body: { memberId },
  });
  if (error) {
    const invalid = (error.invalidParams ?? []).map((p) => `${p.name}: ${p.reason}`);
    throw new Error([error.detail, ...invalid].join("\n"));
  }
  return data;
}

// Raising a learning question: only the title is required (`kind` has a default).
export async function raise(api: Api, title: string): Promise<string> {
  const { data, error } = await api.POST("/learning-questions", { body: { title } });
  if (error) throw new Error(error.detail);
  return data.id;
}
