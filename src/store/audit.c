/*
 * audit.c - the append-only, hash-chained audit log.
 *
 * Entry n holds hash(n) = SHA-256 over the canonical serialisation of
 * (seq, at, actor, action, subject, detail, prev_hash, auth, ops), each field
 * written as "<decimal length>:<bytes>," so no two different entries
 * serialise the same; prev_hash is hash(n-1) (64 '0's for the first). An
 * entry from before schema 3 has no auth and no ops (NULL) and keeps the hash
 * over its first seven fields. The head (last seq and its
 * hash) is also kept in `meta`: appends chain from the head, not from the last
 * row, so a deleted tail cannot be papered over by the next change, and
 * verify compares the last row with the head.
 *
 * Verify streams every row once through one reused digest context and one
 * reused buffer: no allocation per row. With the state check, each entry's
 * row changes are replayed as they stream by (replay.c), so the whole check
 * stays one pass over the log; anchors are checked on the way.
 */
#include <inttypes.h>
#include "util/crypto.h"
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct audit_hasher {
	EVP_MD_CTX *ctx;
	EVP_MD *md; /* fetched once: an implicit fetch per digest is slow */
	struct strbuf buf;
};

static void hasher_init(struct audit_hasher *h)
{
	h->ctx = EVP_MD_CTX_new();
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!h->ctx || !h->md)
		BUG("out of memory for a digest context");
	strbuf_init(&h->buf);
}

static void hasher_release(struct audit_hasher *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	strbuf_release(&h->buf);
}

/* Decimal of v into buf (>= 21 bytes), not terminated; returns the length.
 * (snprintf is most of the cost of hashing an entry.) */
static size_t fmt_dec(char *buf, int64_t v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = tmp[--n];
	return len;
}

static void put_field(struct strbuf *sb, const char *s, size_t len)
{
	size_t n;
	strbuf_grow(sb, 24 + len);
	n = fmt_dec(sb->buf + sb->len, (int64_t)len);
	sb->len += n;
	sb->buf[sb->len++] = ':';
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len++] = ',';
	sb->buf[sb->len] = '\0';
}

static void put_int(struct strbuf *sb, int64_t v)
{
	char num[24];
	put_field(sb, num, fmt_dec(num, v));
}

struct fields {
	int64_t seq, at;
	/* actor, action, subject, detail, prev_hash, auth, ops */
	const char *s[7];
	size_t len[7];
	int n; /* 5, or 7 with auth and ops (schema 3 on) */
};

static void hash_fields(struct audit_hasher *h, const struct fields *f, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	strbuf_reset(&h->buf);
	put_int(&h->buf, f->seq);
	put_int(&h->buf, f->at);
	for (int i = 0; i < f->n; i++)
		put_field(&h->buf, f->s[i], f->len[i]);
	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, h->buf.buf, h->buf.len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 || mdlen != 32)
		BUG("SHA-256 failed");
	for (unsigned int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

static void fields_from_entry(struct fields *f, const struct store_log_entry *en)
{
	const char *v[7] = { en->actor, en->action, en->subject, en->detail, en->prev_hash,
			     en->auth, en->ops };
	f->seq = en->seq;
	f->at = en->at;
	f->n = en->ops ? 7 : 5;
	for (int i = 0; i < f->n; i++) {
		f->s[i] = v[i] ? v[i] : "";
		f->len[i] = strlen(f->s[i]);
	}
}

void store_log_hash(const struct store_log_entry *entry, char hex[65])
{
	struct audit_hasher h;
	struct fields f;
	hasher_init(&h);
	fields_from_entry(&f, entry);
	hash_fields(&h, &f, hex);
	hasher_release(&h);
}

/* ---- head and append -------------------------------------------------------- */

struct head_ctx {
	int64_t seq;
	char hash[65];
	int found;
};

static int head_row(void *ctx, const struct store_row *r)
{
	struct head_ctx *c = ctx;
	const struct store_val *k = &r->v[0], *v = &r->v[1];
	if (k->type != SV_TEXT || v->type == SV_NULL)
		return 0;
	if (k->len == 9 && !memcmp(k->s, "audit_seq", 9)) {
		c->seq = row_int(r, 1);
		c->found |= 1;
	} else if (k->len == 10 && !memcmp(k->s, "audit_hash", 10) && v->type == SV_TEXT) {
		snprintf(c->hash, sizeof(c->hash), "%.*s", (int)v->len, v->s);
		c->found |= 2;
	}
	return 0;
}

static int read_head(struct store *s, struct head_ctx *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (store_q(s, sql_audit_head, NULL, 0, head_row, c, e) < 0)
		return -1;
	if (!c->found) { /* a plan's first entry: its chain starts here */
		memset(c->hash, '0', 64);
		c->hash[64] = '\0';
		return 0;
	}
	if (c->found != 3)
		return err_setr(e, ERR_FAILED, REASON_IO, "the audit log head is missing from the store's plan_meta table");
	return 0;
}

static int at_row(void *ctx, const struct store_row *r)
{
	*(int64_t *)ctx = row_int(r, 0);
	return 0;
}

int audit_read_head(struct store *s, struct err *e)
{
	struct head_ctx c;
	if (read_head(s, &c, e) < 0)
		return -1;
	s->head_seq = c.seq;
	memcpy(s->head_hash, c.hash, sizeof(s->head_hash));
	s->head_at = 0;
	if (c.seq > 0) {
		/* the head entry's time: the next entry is never dated before it
		 * (a missing row, which verify reports, leaves 0) */
		struct store_val p = sv_int(c.seq);
		if (store_q(s, sql_audit_at, &p, 1, at_row, &s->head_at, e) < 0)
			return -1;
	}
	return 0;
}

static int set_head(struct store *s, int64_t seq, const char *hash, struct err *e)
{
	char num[24];
	struct store_val p1[2], p2[2];

	/* format first: the params point at num, which must be written before use */
	snprintf(num, sizeof(num), "%" PRId64, seq);
	p1[0] = sv_text(num);
	p1[1] = sv_text("audit_seq");
	p2[0] = sv_text(hash);
	p2[1] = sv_text("audit_hash");
	if (store_q(s, sql_audit_set_head, p1, 2, NULL, NULL, e) < 0 ||
	    store_q(s, sql_audit_set_head, p2, 2, NULL, NULL, e) < 0)
		return -1;
	/* the head moves once per transaction: tell the event watchers
	 * (PostgreSQL NOTIFY, delivered when this transaction commits and
	 * never if it rolls back; store-watch.c) */
	if (s->be->sql_notify && store_q(s, s->be->sql_notify, NULL, 0, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

static int hash_row(void *ctx, const struct store_row *r)
{
	const struct store_val *v = &r->v[0];
	return v->type != SV_NULL && v->s && v->len == 64 && !memcmp(v->s, ctx, 64);
}

int audit_has_entry(struct store *s, int64_t seq, const char *hash, struct err *e)
{
	struct store_val p = sv_int(seq);
	int64_t rc = store_q(s, sql_audit_hash_at, &p, 1, hash_row, (void *)hash, e);
	return rc < 0 ? -1 : rc == 1;
}

int audit_write_head(struct store *s, struct err *e)
{
	return set_head(s, s->head_seq, s->head_hash, e);
}

int audit_append(struct store *s, struct err *e)
{
	struct strbuf detail = STRBUF_INIT, subject = STRBUF_INIT;
	struct store_log_entry en;
	char hex[65];
	int rc = -1;

	store_clean_text(&detail, s->change_detail.buf ? s->change_detail.buf : "", 16384, false);
	store_clean_text(&subject, s->change_subject, 1024, false);
	en.seq = s->head_seq + 1;
	en.at = s->change_now;
	en.actor = s->change_actor;
	en.action = s->change_action;
	en.subject = subject.buf ? subject.buf : "";
	en.detail = detail.buf ? detail.buf : "";
	en.prev_hash = s->head_hash;
	en.auth = s->auth ? s->auth : "";
	if (!s->change_ops.len)
		strbuf_addch(&s->change_ops, '[');
	strbuf_addch(&s->change_ops, ']');
	en.ops = s->change_ops.buf;
	if (!s->hasher) {
		s->hasher = xmalloc(sizeof(*s->hasher));
		hasher_init(s->hasher);
	}
	{
		struct fields f;
		fields_from_entry(&f, &en);
		hash_fields(s->hasher, &f, hex);
	}
	{
		struct store_val p[] = { sv_int(en.seq),	 sv_int(en.at),	       sv_text(en.actor),
					 sv_text(en.action),	 sv_text(en.subject),  sv_text(en.detail),
					 sv_text(en.prev_hash), sv_text(hex),	       sv_text(en.auth),
					 sv_text(en.ops) };
		struct err qe;
		err_init(&qe);
		if (store_q(s, sql_audit_insert, p, 10, NULL, NULL, &qe) < 0) {
			/* we hold the write lock: an entry already at head + 1 was
			 * written by someone else, outside tollgate */
			if (err_is(&qe, REASON_CONFLICT))
				err_setr(e, ERR_FAILED, REASON_CONFLICT,
					 "the audit log already holds an entry %" PRId64 " that its "
					 "head (entry %" PRId64 ") does not know: it was written "
					 "outside tollgate, and nothing was written now; see 'tollgate "
					 "log --verify', then remove it or restore the store from a "
					 "backup",
					 en.seq, s->head_seq);
			else
				err_copy(e, &qe);
			goto out;
		}
		en.hash = hex;
		if (s->outbox_fn && s->outbox_fn(s->outbox_ctx, s, &en, e) < 0)
			goto out;
		if (!s->in_batch && set_head(s, en.seq, hex, e) < 0)
			goto out;
	}
	s->head_seq = en.seq;
	s->head_at = en.at;
	memcpy(s->head_hash, hex, sizeof(hex));
	rc = 0;
out:
	/* the closing "]" is the entry's: a failed append may be retried */
	s->change_ops.buf[--s->change_ops.len] = '\0';
	strbuf_release(&detail);
	strbuf_release(&subject);
	return rc;
}

void audit_release(struct store *s)
{
	if (!s->hasher)
		return;
	hasher_release(s->hasher);
	free(s->hasher);
	s->hasher = NULL;
}

/* ---- reading ---------------------------------------------------------------- */

struct each_ctx {
	store_log_fn fn;
	void *ctx;
	struct strbuf tmp[8];
};

static const char *nul_term(struct strbuf *sb, const struct store_val *v)
{
	strbuf_reset(sb);
	if (v->type == SV_TEXT)
		strbuf_add(sb, v->s, v->len);
	else
		strbuf_addstr(sb, "");
	return sb->buf;
}

static int each_row(void *ctx, const struct store_row *r)
{
	struct each_ctx *c = ctx;
	struct store_log_entry en;
	en.seq = row_int(r, 0);
	en.at = row_int(r, 1);
	en.actor = nul_term(&c->tmp[0], &r->v[2]);
	en.action = nul_term(&c->tmp[1], &r->v[3]);
	en.subject = nul_term(&c->tmp[2], &r->v[4]);
	en.detail = nul_term(&c->tmp[3], &r->v[5]);
	en.prev_hash = nul_term(&c->tmp[4], &r->v[6]);
	en.hash = nul_term(&c->tmp[5], &r->v[7]);
	/* both or neither: an entry is of schema 3 when it has ops */
	en.ops = r->v[9].type == SV_NULL ? NULL : nul_term(&c->tmp[7], &r->v[9]);
	en.auth = !en.ops ? NULL : nul_term(&c->tmp[6], &r->v[8]);
	return c->fn(c->ctx, &en);
}

int store_log_each(struct store *s, int64_t limit, store_log_fn fn, void *ctx, struct err *e)
{
	struct each_ctx c = { fn, ctx, { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
					 STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT } };
	int64_t rc;
	if (limit > 0) {
		struct store_val p = sv_int(limit);
		rc = store_q(s, sql_audit_last, &p, 1, each_row, &c, e);
	} else {
		rc = s->be->query(s->conn, sql_audit_all, NULL, 0, SQ_STREAM, each_row, &c, e);
	}
	for (int i = 0; i < 8; i++)
		strbuf_release(&c.tmp[i]);
	return (int)rc;
}

int store_log_after(struct store *s, int64_t after, int64_t limit, store_log_fn fn, void *ctx,
		    struct err *e)
{
	struct each_ctx c = { fn, ctx, { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
					 STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT } };
	struct store_val p[] = { sv_int(after), sv_int(limit > 0 ? limit : 1) };
	int64_t rc = store_q(s, sql_audit_after, p, 2, each_row, &c, e);
	for (int i = 0; i < 8; i++)
		strbuf_release(&c.tmp[i]);
	return (int)rc;
}


/* ---- verify ----------------------------------------------------------------- */

struct verify_ctx {
	struct audit_hasher h;
	struct store_verify *out;
	int64_t expect; /* next seq */
	char prev[65];
	bool seen_ops;  /* an entry of schema 3 went by */
	/* the full check (NULL: the chain only) */
	struct store_verify_full *full;
	const struct store_anchor *anchors;
	size_t nanchors;
	struct replay *replay;
	bool failed; /* the replay could not run (an error, not a finding) */
	struct err *e;
};

static void anchor_failed(struct store_verify_full *full, const struct store_anchor *a,
			  const char *fmt, int64_t seq)
{
	if (!full->anchors_failed++) {
		full->bad_anchor = *a;
		snprintf(full->anchor_why, sizeof(full->anchor_why), fmt, seq);
	}
}

static int verify_row(void *ctx, const struct store_row *r)
{
	struct verify_ctx *c = ctx;
	struct store_verify *o = c->out;
	struct fields f;
	char hex[65];
	const struct store_val *ph = &r->v[6], *hv = &r->v[7];
	const struct store_val *auth = &r->v[8], *ops = &r->v[9];

	f.seq = row_int(r, 0);
	f.at = row_int(r, 1);
	f.n = ops->type == SV_NULL ? 5 : 7;
	for (int i = 0; i < f.n; i++) {
		const struct store_val *v = i < 5 ? &r->v[2 + i] : i == 5 ? auth : ops;
		f.s[i] = v->type == SV_TEXT ? v->s : "";
		f.len[i] = v->type == SV_TEXT ? v->len : 0;
	}
	if (f.seq != c->expect) {
		o->bad_seq = c->expect;
		if (f.seq > c->expect)
			snprintf(o->why, sizeof(o->why), "entry %" PRId64 " is missing", c->expect);
		else
			snprintf(o->why, sizeof(o->why), "entry %" PRId64 " is out of order", f.seq);
		return 1;
	}
	if (ph->type != SV_TEXT || ph->len != 64 || memcmp(ph->s, c->prev, 64)) {
		o->bad_seq = f.seq;
		snprintf(o->why, sizeof(o->why),
			 "it does not chain to entry %" PRId64 ": prev_hash differs", f.seq - 1);
		return 1;
	}
	hash_fields(&c->h, &f, hex);
	if (hv->type != SV_TEXT || hv->len != 64 || memcmp(hv->s, hex, 64)) {
		o->bad_seq = f.seq;
		snprintf(o->why, sizeof(o->why), "its content does not match its hash");
		return 1;
	}
	/* entries of schema 3 record their row changes; one without them after
	 * them was rewritten in the older form */
	if (f.n == 5 && c->seen_ops) {
		o->bad_seq = f.seq;
		snprintf(o->why, sizeof(o->why), "its row changes are missing");
		return 1;
	}
	c->seen_ops = c->seen_ops || f.n == 7;
	if (c->replay && f.n == 7) {
		char why[160];
		int rc = replay_entry(c->replay, f.s[6], f.len[6], why, sizeof(why), c->e);
		if (rc < 0) {
			c->failed = true;
			return 1;
		}
		if (rc > 0) {
			o->bad_seq = f.seq;
			snprintf(o->why, sizeof(o->why), "its row changes cannot be replayed: %s", why);
			return 1;
		}
	}
	for (size_t i = 0; i < c->nanchors; i++)
		if (c->anchors[i].seq == f.seq && memcmp(c->anchors[i].hash, hex, 64))
			anchor_failed(c->full, &c->anchors[i], "entry %" PRId64 " has another hash",
				      f.seq);
	memcpy(c->prev, hex, sizeof(hex));
	c->expect++;
	o->count++;
	return 0;
}

static int verify_fn(struct store *s, struct verify_ctx *c, struct err *e)
{
	struct store_verify *out = c->out;
	struct head_ctx head;
	int64_t rc;

	if (read_head(s, &head, e) < 0)
		return -1;
	hasher_init(&c->h);
	c->expect = 1;
	c->e = e;
	memcpy(c->prev, ZERO_HASH, sizeof(c->prev));
	rc = s->be->query(s->conn, sql_audit_all, NULL, 0, SQ_STREAM, verify_row, c, e);
	hasher_release(&c->h);
	if (rc < 0 || c->failed)
		return -1;
	if (rc > 0)
		return 0; /* out->why says which entry */
	if (head.seq != c->expect - 1) {
		if (head.seq > c->expect - 1) {
			out->bad_seq = c->expect; /* the first entry missing */
			snprintf(out->why, sizeof(out->why),
				 "the log ends at entry %" PRId64 " but its head says %" PRId64,
				 c->expect - 1, head.seq);
		} else {
			out->bad_seq = head.seq + 1; /* the first entry added */
			out->added = true;
			snprintf(out->why, sizeof(out->why),
				 "it was added outside tollgate, after the log head (entry %" PRId64
				 ")%s",
				 head.seq, c->expect - 1 > head.seq + 1 ? ", and so were the entries after it"
								      : "");
		}
		return 0;
	}
	if (strcmp(head.hash, c->prev)) {
		out->bad_seq = c->expect - 1;
		snprintf(out->why, sizeof(out->why), "the last entry does not match the log head");
		return 0;
	}
	out->ok = true;
	for (size_t i = 0; c->full && i < c->nanchors; i++) {
		const struct store_anchor *a = &c->anchors[i];
		if (a->seq == 0 && strcmp(a->hash, ZERO_HASH))
			anchor_failed(c->full, a, "entry %" PRId64 " has another hash", 0);
		else if (a->seq > c->expect - 1)
			anchor_failed(c->full, a, "it ends at entry %" PRId64, c->expect - 1);
	}
	if (c->replay) {
		if (replay_compare(c->replay, s, c->full, e) < 0)
			return -1;
		c->full->state_checked = true;
	}
	return 0;
}

/* Run fn in a read transaction of its own (or the open one): one view. */
static int verify_in_read(struct store *s, struct verify_ctx *c, struct err *e)
{
	int rc;
	if (store_in_tx(s))
		return verify_fn(s, c, e);
	if (s->be->begin(s->conn, false, e) < 0)
		return -1;
	s->in_read = true;
	rc = verify_fn(s, c, e);
	s->in_read = false;
	if (rc < 0) {
		s->be->rollback(s->conn);
		return -1;
	}
	return s->be->commit(s->conn, e);
}

int store_log_verify(struct store *s, struct store_verify *out, struct err *e)
{
	struct verify_ctx c = { .out = out };
	memset(out, 0, sizeof(*out));
	return verify_in_read(s, &c, e);
}

int store_log_verify_full(struct store *s, const struct store_anchor *anchors, size_t nanchors,
			  struct store_verify_full *out, struct err *e)
{
	struct verify_ctx c = { .out = &out->chain, .full = out, .anchors = anchors,
				.nanchors = nanchors };
	int rc;

	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (replay_open(&c.replay, e) < 0)
		return -1;
	rc = verify_in_read(s, &c, e);
	replay_free(c.replay);
	out->state_ok = out->state_checked && out->ndiffs == 0;
	return rc;
}

void store_verify_release(struct store_verify_full *v)
{
	free(v->diffs);
	arena_release(&v->arena);
	memset(v, 0, sizeof(*v));
}

int store_log_head(struct store *s, int64_t *seq, char hash[65], struct err *e)
{
	struct head_ctx c;
	if (read_head(s, &c, e) < 0)
		return -1;
	*seq = c.seq;
	memcpy(hash, c.hash, 65);
	return 0;
}

/* ---- bulk append (benchmarks, tests) ----------------------------------------- */

#define BULK_ROWS 256
#define BULK_COLS 10

static const char *bulk_sql(struct store *s)
{
	struct strbuf sb = STRBUF_INIT;
	if (s->bulk_sql)
		return s->bulk_sql;
	strbuf_addstr(&sb, "INSERT INTO audit (plan, seq, at, actor, action, subject, detail,"
			   " prev_hash, hash, auth, ops) VALUES ");
	for (int i = 0; i < BULK_ROWS; i++)
		strbuf_addstr(&sb, i ? ", (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
				     : "(:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	s->bulk_sql = strbuf_detach(&sb);
	return s->bulk_sql;
}

int store_log_append_bulk(struct store *s, int64_t now, int64_t n, struct err *e)
{
	struct store_val *p = xcalloc(BULK_ROWS * BULK_COLS, sizeof(*p));
	char (*subj)[32] = xcalloc(BULK_ROWS, sizeof(*subj));
	char (*hashes)[65] = xcalloc(BULK_ROWS + 1, sizeof(*hashes));
	struct audit_hasher h;
	int64_t done = 0;
	int rc = -1;

	if (s->in_change || s->in_batch)
		BUG("store_log_append_bulk inside a change");
	hasher_init(&h);
	if (s->be->begin(s->conn, true, e) < 0)
		goto out;
	if (audit_read_head(s, e) < 0)
		goto fail;
	memcpy(hashes[BULK_ROWS], s->head_hash, 65); /* the previous batch's last */
	if (now < s->head_at)
		now = s->head_at; /* never dated before the head */
	while (done < n) {
		int rows = n - done >= BULK_ROWS ? BULK_ROWS : (int)(n - done);
		for (int i = 0; i < rows; i++) {
			struct fields f;
			const char *prev = i ? hashes[i - 1] : hashes[BULK_ROWS];
			f.seq = s->head_seq + 1;
			f.at = now;
			snprintf(subj[i], sizeof(subj[i]), "entry-%" PRId64, f.seq);
			f.s[0] = "bench";
			f.s[1] = "bench";
			f.s[2] = subj[i];
			f.s[3] = "";
			f.s[4] = prev;
			f.s[5] = "";
			f.s[6] = "[]";
			f.n = 7;
			for (int k = 0; k < 7; k++)
				f.len[k] = strlen(f.s[k]);
			hash_fields(&h, &f, hashes[i]);
			p[i * BULK_COLS + 0] = sv_int(f.seq);
			p[i * BULK_COLS + 1] = sv_int(now);
			p[i * BULK_COLS + 2] = sv_text("bench");
			p[i * BULK_COLS + 3] = sv_text("bench");
			p[i * BULK_COLS + 4] = sv_text(subj[i]);
			p[i * BULK_COLS + 5] = sv_text("");
			p[i * BULK_COLS + 6] = sv_text(prev);
			p[i * BULK_COLS + 7] = sv_text(hashes[i]);
			p[i * BULK_COLS + 8] = sv_text("");
			p[i * BULK_COLS + 9] = sv_text("[]");
			s->head_seq++;
		}
		if (rows == BULK_ROWS) {
			if (store_q(s, bulk_sql(s), p, BULK_ROWS * BULK_COLS, NULL, NULL, e) < 0)
				goto fail;
		} else {
			for (int i = 0; i < rows; i++)
				if (store_q(s, sql_audit_insert, p + i * BULK_COLS, BULK_COLS, NULL,
					    NULL, e) < 0)
					goto fail;
		}
		memcpy(hashes[BULK_ROWS], hashes[rows - 1], 65);
		done += rows;
	}
	memcpy(s->head_hash, hashes[BULK_ROWS], 65);
	if (set_head(s, s->head_seq, s->head_hash, e) < 0)
		goto fail;
	rc = s->be->commit(s->conn, e);
	goto out;
fail:
	s->be->rollback(s->conn);
out:
	hasher_release(&h);
	free(p);
	free(subj);
	free(hashes);
	return rc;
}
