/*
 * fuzz-audit.c - libFuzzer target for the audit-chain reader: the bytes are
 * turned into rows of the audit table and the log head (what someone with
 * write access to the store file could put there: any SQLite type in any
 * column, NUL bytes, gaps, huge numbers), then `log` (store_log_each) and
 * `log --verify` (store_log_verify, store_log_verify_full) read them back.
 * Neither may crash, leak or call a forged chain verified: when verify says
 * ok, the rows must be exactly a chain that store_log_hash() recomputes from
 * seq 1 to the head.
 *
 * Input: rows separated by '\n', fields by '\t' (seq, at, actor, action,
 * subject, detail, prev_hash, hash[, auth, ops]); a field starting with '#'
 * is the integer after it, "~" is NULL, '%' a blob of the rest, else text;
 * a row without auth and ops is an entry from before schema 4. A first line
 * starting with "head\t" sets the head (seq, hash) instead of a row. A field
 * "=" in the hash column is replaced by the right hash (in the prev_hash
 * column: the previous row's), so that the fuzzer can build long valid chains
 * and then break them. The ops of a valid chain are
 * replayed by the full check (store_log_verify_full): the row-change reader
 * is fuzzed too, against an empty state.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *store;
static sqlite3 *raw;
static char path[64];

static void cleanup(void)
{
	char side[80];
	sqlite3_close(raw);
	store_close(store);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static void setup(void)
{
	struct err e;
	snprintf(path, sizeof(path), "/tmp/tollgate-fuzz-audit-%ld.db", (long)getpid());
	unlink(path);
	atexit(cleanup);
	err_init(&e);
	if (store_open(&store, NULL, path, &e) < 0 ||
	    sqlite3_open_v2(path, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		__builtin_trap();
}

static void bind_field(sqlite3_stmt *st, int i, const char *f, size_t n)
{
	if (n && f[0] == '#') {
		char buf[32];
		size_t k = n - 1 < sizeof(buf) - 1 ? n - 1 : sizeof(buf) - 1;
		memcpy(buf, f + 1, k);
		buf[k] = '\0';
		sqlite3_bind_int64(st, i, strtoll(buf, NULL, 10));
	} else if (n == 1 && f[0] == '~') {
		sqlite3_bind_null(st, i);
	} else if (n && f[0] == '%') {
		sqlite3_bind_blob(st, i, f + 1, (int)n - 1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_text(st, i, f, (int)n, SQLITE_TRANSIENT);
	}
}

struct seen {
	int64_t n;
};

static int count_entry(void *ctx, const struct store_log_entry *en)
{
	struct seen *s = ctx;
	if (!en->actor || !en->action || !en->subject || !en->detail || !en->prev_hash || !en->hash)
		__builtin_trap();
	s->n++;
	return 0;
}

struct chain {
	int64_t next;
	char prev[65];
	bool broken;
};

static int check_chain(void *ctx, const struct store_log_entry *en)
{
	struct chain *c = ctx;
	char hex[65];
	store_log_hash(en, hex);
	if (en->seq != c->next || strcmp(en->prev_hash, c->prev) || strcmp(en->hash, hex))
		c->broken = true;
	memcpy(c->prev, hex, sizeof(hex));
	c->next++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	sqlite3_stmt *ins, *head;
	struct store_verify v;
	struct store_verify_full full;
	struct seen seen = { 0 };
	struct chain ch = { 1, "", false };
	struct err e;
	char prev[65];
	int64_t rows = 0;

	if (!store)
		setup();
	memset(prev, '0', 64);
	prev[64] = '\0';
	/* the store is opened with no plan: its plan id is '' */
	sqlite3_exec(raw, "BEGIN; DELETE FROM audit; DELETE FROM plan_meta;", NULL, NULL, NULL);
	sqlite3_prepare_v2(raw,
			   "INSERT OR REPLACE INTO audit (plan, seq, at, actor, action, subject, detail,"
			   " prev_hash, hash, auth, ops) VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			   -1, &ins, NULL);
	sqlite3_prepare_v2(raw, "INSERT OR REPLACE INTO plan_meta (plan, value, key) VALUES ('', ?, ?)",
			   -1, &head, NULL);
	while (p < end && rows < 64) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		const char *f[10];
		size_t n[10];
		int nf = 0;
		const char *q = p;
		while (nf < 10) {
			const char *tab = memchr(q, '\t', (size_t)(le - q));
			const char *fe = tab ? tab : le;
			f[nf] = q;
			n[nf] = (size_t)(fe - q);
			nf++;
			if (!tab)
				break;
			q = tab + 1;
		}
		if (nf >= 3 && n[0] == 4 && !memcmp(f[0], "head", 4)) {
			bind_field(head, 1, f[1], n[1]);
			sqlite3_bind_text(head, 2, "audit_seq", -1, SQLITE_STATIC);
			sqlite3_step(head);
			sqlite3_reset(head);
			bind_field(head, 1, f[2], n[2]);
			sqlite3_bind_text(head, 2, "audit_hash", -1, SQLITE_STATIC);
			sqlite3_step(head);
			sqlite3_reset(head);
		} else {
			struct store_log_entry en = { 0 };
			char hex[65], *txt[8] = { 0 };
			for (int i = 0; i < 10; i++) {
				bool eq = i < nf && (i == 6 || i == 7) && n[i] == 1 && f[i][0] == '=';
				if (i < nf && !eq)
					bind_field(ins, i + 1, f[i], n[i]);
				else if (i < 2)
					sqlite3_bind_int64(ins, i + 1, i == 0 ? rows + 1 : 0);
				else if (i == 6)
					sqlite3_bind_text(ins, i + 1, prev, 64, SQLITE_TRANSIENT);
				else if (i >= 8)
					sqlite3_bind_null(ins, i + 1);
				else
					sqlite3_bind_text(ins, i + 1, "", 0, SQLITE_STATIC);
			}
			if (nf >= 8 && n[7] == 1 && f[7][0] == '=') {
				/* the right hash for the fields as text */
				for (int i = 0; i < 8; i++)
					txt[i] = 2 + i < nf ? strndup(f[2 + i], n[2 + i]) : NULL;
				en.seq = strtoll(f[0][0] == '#' ? f[0] + 1 : f[0], NULL, 10);
				en.at = strtoll(f[1][0] == '#' ? f[1] + 1 : f[1], NULL, 10);
				en.actor = txt[0];
				en.action = txt[1];
				en.subject = txt[2];
				en.detail = txt[3];
				en.prev_hash = n[6] == 1 && f[6][0] == '=' ? prev : txt[4];
				if (nf == 10) {
					en.auth = txt[6];
					en.ops = txt[7];
				}
				store_log_hash(&en, hex);
				sqlite3_bind_text(ins, 8, hex, 64, SQLITE_TRANSIENT);
				memcpy(prev, hex, sizeof(hex));
				for (int i = 0; i < 8; i++)
					free(txt[i]);
			}
			sqlite3_step(ins);
			sqlite3_reset(ins);
			sqlite3_clear_bindings(ins);
			rows++;
		}
		p = eol ? eol + 1 : end;
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(head);
	sqlite3_exec(raw, "COMMIT", NULL, NULL, NULL);

	err_init(&e);
	if (store_log_each(store, 0, count_entry, &seen, &e) < 0 && e.code == ERR_NONE)
		__builtin_trap();
	err_init(&e);
	if (store_log_each(store, 3, count_entry, &seen, &e) < 0 && e.code == ERR_NONE)
		__builtin_trap();
	err_init(&e);
	if (store_log_verify(store, &v, &e) == 0 && v.ok) {
		/* a whole chain: its row changes are replayed (the full check
		 * builds a database, so only for chains worth it) */
		err_init(&e);
		if (store_log_verify_full(store, NULL, 0, &full, &e) == 0 &&
		    ((full.chain.ok && !full.state_checked) || full.state_rows != 0))
			__builtin_trap(); /* the store holds no state: it has no rows */
		store_verify_release(&full);
		/* a verified log is a real chain, entry by entry */
		memset(ch.prev, '0', 64);
		ch.prev[64] = '\0';
		err_init(&e);
		if (store_log_each(store, 0, check_chain, &ch, &e) < 0 || ch.broken ||
		    ch.next - 1 != v.count)
			__builtin_trap();
	}
	return 0;
}
