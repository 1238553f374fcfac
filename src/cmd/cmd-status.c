/*
 * cmd-status.c - `tollgate status [--env E] [--wave W]`: prints the board
 * that engine/query.h builds (status_board): projects × environments grouped
 * by wave, each cell's state, the version live there (and beside it what
 * failed, after a rollback), since when, the target date and a LATE mark
 * (or AT RISK, when the forecast puts a target not yet passed out of reach);
 * the open incidents and unresolved blockers follow. --json is
 * encode_status_board.
 *
 * Versions are shown whole when stdout is not a terminal; on a terminal they
 * are cut (with "…") only as much as the board needs to fit its width.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/query.h"
#include "plan/plan.h"

#define VERSION_MIN 12 /* a terminal never cuts a version shorter than this */

static const char *state_color(enum store_state s)
{
	switch (s) {
	case STATE_HEALTHY: return C_GREEN;
	case STATE_SOAKING:
	case STATE_DEPLOYING:
	case STATE_VERIFYING: return C_YELLOW;
	case STATE_FAILED:
	case STATE_ROLLED_BACK:
	case STATE_INTERRUPTED: return C_RED;
	default: return C_DIM;
	}
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width_of(const char *s, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

static size_t width_of_str(const char *s)
{
	return width_of(s, strlen(s));
}

/* "Jan 10" for a day, memoised: a large board repeats a few dates. */
struct date_cache {
	int64_t day[16];
	char text[16][16];
	bool used[16];
};

static const char *short_date(struct date_cache *dc, int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	size_t slot = (size_t)(day & 15);
	if (!dc->used[slot] || dc->day[slot] != day) {
		util_fmt_short_date(day * 86400, false, dc->text[slot], sizeof(dc->text[slot]));
		dc->day[slot] = day;
		dc->used[slot] = true;
	}
	return dc->text[slot];
}

/* One board cell, formatted: its text lives in a shared pool. */
struct cell_fmt {
	uint32_t off, len;  /* of the plain text in the pool */
	uint32_t state_len; /* the leading state word, coloured */
	uint32_t width;     /* display width, LATE included */
};

/* A version, cut to at most max display columns ("…" included); 0: whole. */
static void add_version(struct strbuf *pool, const char *v, size_t max)
{
	size_t len = strlen(v), cols = 0, i;
	if (!max || width_of(v, len) <= max) {
		strbuf_add(pool, v, len);
		return;
	}
	for (i = 0; i < len; i++) {
		if (((unsigned char)v[i] & 0xC0) != 0x80 && ++cols > max - 1)
			break;
	}
	strbuf_add(pool, v, i);
	strbuf_addstr(pool, "…");
}

/*
 * "healthy v3 Jan 10", "rolled-back v2 (v3 failed) Jan 12",
 * "- target Jan 20": the state, the version live there and what failed, since
 * when, and for a project not there yet its target date.
 */
static void cell_format(const struct status_cell *c, size_t vmax, struct date_cache *dc,
			struct strbuf *pool, struct cell_fmt *f)
{
	const char *shown = c->state == STATE_ROLLED_BACK ? c->live_version : c->version;
	size_t off = pool->len;
	f->off = (uint32_t)off;
	strbuf_addstr(pool, c->state == STATE_NONE ? "-" : store_state_name(c->state));
	f->state_len = (uint32_t)(pool->len - off);
	if (shown) {
		strbuf_addch(pool, ' ');
		add_version(pool, shown, vmax);
	}
	if (c->state == STATE_ROLLED_BACK && c->failed_version) {
		strbuf_addstr(pool, " (");
		add_version(pool, c->failed_version, vmax);
		strbuf_addstr(pool, " failed)");
	}
	if (c->since) {
		strbuf_addch(pool, ' ');
		strbuf_addstr(pool, short_date(dc, c->since));
	}
	if (c->target && !ready_is_live(c->state)) {
		strbuf_addstr(pool, " target ");
		strbuf_addstr(pool, short_date(dc, c->target));
	}
	f->len = (uint32_t)(pool->len - off);
	f->width = (uint32_t)(width_of(pool->buf + off, f->len) + (c->late ? 5 : 0) +
			      (c->at_risk ? 8 : 0));
}

/* The board is written into one buffer and out at once: tens of thousands
 * of cells through stdio calls cost more than building the text. */
static void add_pad(struct strbuf *out, size_t n)
{
	static const char spaces[] = "                                ";
	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		strbuf_add(out, spaces, k);
		n -= k;
	}
}

static void cell_print(const struct app *app, struct strbuf *out, const struct strbuf *pool,
		       const struct status_cell *c, const struct cell_fmt *f, size_t width)
{
	const char *t = pool->buf + f->off;
	strbuf_addstr(out, "  ");
	strbuf_addstr(out, cmd_color(app, state_color(c->state)));
	strbuf_add(out, t, f->state_len);
	strbuf_addstr(out, cmd_color(app, C_RESET));
	strbuf_add(out, t + f->state_len, f->len - f->state_len);
	if (c->late) {
		strbuf_addch(out, ' ');
		strbuf_addstr(out, cmd_color(app, C_RED));
		strbuf_addstr(out, "LATE");
		strbuf_addstr(out, cmd_color(app, C_RESET));
	}
	if (c->at_risk) {
		strbuf_addch(out, ' ');
		strbuf_addstr(out, cmd_color(app, C_YELLOW));
		strbuf_addstr(out, "AT RISK");
		strbuf_addstr(out, cmd_color(app, C_RESET));
	}
	if (f->width < width)
		add_pad(out, width - f->width);
}

static void print_footer(const struct app *app, const struct status_board *b)
{
	const struct plan *p = b->plan;
	char d[32];
	if (b->nincidents)
		printf("\n%sOpen incidents%s\n", cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
	for (size_t i = 0; i < b->nincidents; i++) {
		const struct state_incident *in = b->incidents[i];
		struct strbuf text = STRBUF_INIT; /* one incident, one line */
		strbuf_add_scrubbed(&text, in->text ? in->text : "", false);
		printf("  %s%lld%s  level %d  %s%s%s  since %s  %s\n",
		       cmd_color(app, in->level >= 2 ? C_RED : C_YELLOW), (long long)in->id,
		       cmd_color(app, C_RESET), in->level,
		       in->project >= 0 ? p->projects[in->project].id : "",
		       in->project >= 0 ? "@" : "", in->env >= 0 ? p->envs[in->env].name : "",
		       util_fmt_time(in->opened_at, d, sizeof(d)), text.len ? text.buf : "");
		strbuf_release(&text);
	}
	if (b->nblockers)
		printf("\n%sOpen blockers%s\n", cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
	for (size_t i = 0; i < b->nblockers; i++) {
		const struct plan_blocker *bl = &p->blockers[b->blockers[i]];
		printf("  %s  %d%%", bl->id, b->st.blockers[b->blockers[i]].progress);
		if (bl->blocks_env >= 0)
			printf("  blocks %s", p->envs[bl->blocks_env].name);
		if (bl->owner)
			printf("  owner %s", bl->owner);
		if (bl->due)
			printf("  due %s", util_fmt_date(bl->due, d, sizeof(d)));
		putchar('\n');
	}
	if (b->nrejections)
		printf("\n%sRejected versions%s\n", cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
	for (size_t i = 0; i < b->nrejections; i++) {
		const struct state_rejection *r = b->rejections[i];
		struct strbuf sb = STRBUF_INIT;
		if (r->kind == REJECT_ALLOWANCE)
			strbuf_addf(&sb, "version %s allowed in %s", r->version,
				    p->envs[r->env].name);
		else
			ready_describe_rejection(p, r, &sb);
		if (r->allowed) {
			strbuf_addf(&sb, "; allowed again by %s on %s", r->allowed_by ? r->allowed_by : "?",
				    util_fmt_time(r->allowed_at, d, sizeof(d)));
			if (r->allowed_reason && *r->allowed_reason)
				strbuf_addf(&sb, " (%s)", r->allowed_reason);
		}
		printf("  %s%s%s  %s\n", cmd_color(app, r->allowed ? C_DIM : C_RED),
		       p->projects[r->project].id, cmd_color(app, C_RESET), sb.buf);
		strbuf_release(&sb);
	}
	if (b->complete)
		printf("\n%sRelease complete%s: every project is healthy in %s and its success "
		       "criteria are done\n",
		       cmd_color(app, C_GREEN), cmd_color(app, C_RESET), p->envs[p->nenvs - 1].name);
	else if (b->incomplete && b->incomplete[0] && p->nenvs > 1)
		printf("\nRelease not complete: %s\n", b->incomplete);
}

/* The terminal's width when stdout is one, else 0 (no limit). */
static size_t terminal_width(void)
{
	struct winsize ws;
	const char *cols;
	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	cols = getenv("COLUMNS");
	if (cols && atoi(cols) > 0)
		return (size_t)atoi(cols);
	return 80;
}

/* The board's layout with versions cut at vmax (0: whole): each cell
 * formatted into pool, widths[j] the width of shown column j; returns the
 * widest line. */
static size_t layout(const struct status_board *b, size_t vmax, size_t idw, struct strbuf *pool,
		     struct cell_fmt *fmt, size_t *widths)
{
	const struct plan *p = b->plan;
	struct date_cache dc;
	size_t total = 2 + idw;

	memset(&dc, 0, sizeof(dc));
	strbuf_reset(pool);
	for (size_t j = 0; j < b->nenvs_shown; j++) {
		const struct plan_env *e = &p->envs[b->envs[j]];
		widths[j] = width_of_str(e->title ? e->title : e->name);
	}
	for (size_t i = 0; i < b->ncells; i++) {
		size_t j = i % b->nenvs_shown;
		cell_format(&b->cells[i], vmax, &dc, pool, &fmt[i]);
		if (fmt[i].width > widths[j])
			widths[j] = fmt[i].width;
	}
	for (size_t j = 0; j < b->nenvs_shown; j++)
		total += 2 + widths[j];
	return total;
}

/* The longest version on the board, in columns. */
static size_t longest_version(const struct status_board *b)
{
	size_t m = 0;
	for (size_t i = 0; i < b->ncells; i++) {
		const struct status_cell *c = &b->cells[i];
		const char *v[2] = { c->version, c->live_version };
		for (int k = 0; k < 2; k++)
			if (v[k] && width_of_str(v[k]) > m)
				m = width_of_str(v[k]);
	}
	return m;
}

static void print_board(const struct app *app, const struct status_board *b)
{
	const struct plan *p = b->plan;
	size_t idw = 7, cols = terminal_width();
	struct strbuf pool = STRBUF_INIT, out = STRBUF_INIT;
	struct cell_fmt *fmt = xcalloc(b->ncells + 1, sizeof(*fmt));
	size_t *widths = xcalloc(b->nenvs_shown + 1, sizeof(*widths));
	char now[32];

	for (size_t k = 0; k < b->nprojects; k++) {
		size_t l = width_of_str(p->projects[b->projects[k]].id);
		if (l > idw)
			idw = l;
	}
	if (layout(b, 0, idw, &pool, fmt, widths) > cols && cols) {
		/* the widest cut that fits, never below VERSION_MIN */
		size_t lo = VERSION_MIN, hi = longest_version(b);
		while (lo < hi) {
			size_t mid = lo + (hi - lo + 1) / 2;
			if (layout(b, mid, idw, &pool, fmt, widths) <= cols)
				lo = mid;
			else
				hi = mid - 1;
		}
		layout(b, lo, idw, &pool, fmt, widths);
	}

	printf("%s%s%s  %s", cmd_color(app, C_BOLD), p->id, cmd_color(app, C_RESET),
	       p->title ? p->title : "");
	printf("  (now %s)\n", util_fmt_time(b->now, now, sizeof(now)));
	for (size_t wi = 0; wi < b->nwaves; wi++) {
		const struct status_wave *sw = &b->waves[wi];
		const struct plan_wave *wv = &p->waves[sw->wave];
		char a[32], c[32];
		printf("\n%s%s%s", cmd_color(app, C_BOLD), wv->id, cmd_color(app, C_RESET));
		if (wv->title)
			printf("  %s", wv->title);
		if (wv->has_window)
			printf("  (%s to %s)", util_fmt_date(wv->window_from, a, sizeof(a)),
			       util_fmt_date(wv->window_to, c, sizeof(c)));
		if (wv->after_wave >= 0)
			printf("  after %s in %s", p->waves[wv->after_wave].id, p->envs[wv->after_env].name);
		putchar('\n');
		if (!sw->nprojects) {
			printf("  (no project)\n");
			continue;
		}
		printf("  %s%-*s", cmd_color(app, C_DIM), (int)idw, "PROJECT");
		for (size_t j = 0; j < b->nenvs_shown; j++) {
			const struct plan_env *e = &p->envs[b->envs[j]];
			const char *t = e->title ? e->title : e->name;
			printf("  %s%*s", t,
			       j + 1 == b->nenvs_shown ? 0 : (int)(widths[j] - width_of_str(t)), "");
		}
		printf("%s\n", cmd_color(app, C_RESET));
		for (size_t k = sw->first_project; k < sw->first_project + sw->nprojects; k++) {
			const char *id = p->projects[b->projects[k]].id;
			strbuf_addstr(&out, "  ");
			strbuf_addstr(&out, id);
			add_pad(&out, idw > width_of_str(id) ? idw - width_of_str(id) : 0);
			for (size_t j = 0; j < b->nenvs_shown; j++) {
				size_t i = k * b->nenvs_shown + j;
				/* no padding after the last column */
				cell_print(app, &out, &pool, &b->cells[i], &fmt[i],
					   j + 1 == b->nenvs_shown ? 0 : widths[j]);
			}
			strbuf_addch(&out, '\n');
		}
		fwrite(out.buf, 1, out.len, stdout);
		strbuf_reset(&out);
	}
	print_footer(app, b);
	strbuf_release(&pool);
	strbuf_release(&out);
	free(fmt);
	free(widths);
}

static int status_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const char *env_opt[CMD_MAX_OPTS], *wave_opt[CMD_MAX_OPTS];
	size_t nenvs = cmd_opt_all(args, "env", env_opt, CMD_MAX_OPTS);
	size_t nwaves = cmd_opt_all(args, "wave", wave_opt, CMD_MAX_OPTS);
	int envs[CMD_MAX_OPTS], waves[CMD_MAX_OPTS];
	struct status_board b;
	struct err e;

	err_init(&e);
	for (size_t i = 0; i < nenvs; i++)
		if ((envs[i] = action_find_env(p, env_opt[i], &e)) < 0)
			return cmd_err(&e);
	for (size_t i = 0; i < nwaves; i++)
		if ((waves[i] = action_find_wave(p, wave_opt[i], &e)) < 0)
			return cmd_err(&e);
	if (status_board_sets(&b, p, app->store, app->now, envs, nenvs, waves, nwaves, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		struct strbuf sb = STRBUF_INIT;
		encode_status_board(&b, &sb);
		fwrite(sb.buf, 1, sb.len, stdout);
		cmd_output_written();
		strbuf_release(&sb);
	} else {
		print_board(app, &b);
	}
	status_board_release(&b);
	return EXIT_OK;
}

static const struct cmd_opt status_opts[] = {
	{ "env", 0, true, true, "only this environment's column (repeatable)" },
	{ "wave", 0, true, true, "only this wave's projects (repeatable)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--env E]... [--wave W]...",
	.summary = "the projects × environments board: state, version, since, target, late marks",
	.help = "Each cell shows the state, the version live there (after a rollback, the one\n"
		"restored and beside it the one that failed), since when, and for a project not\n"
		"yet there its target date; LATE when the target date has passed, AT RISK when\n"
		"it has not but the forecast (tollgate forecast) puts it out of reach (TOLLGATE_NOW\n"
		"overrides the clock on a rehearsal store). Open incidents and blockers follow\n"
		"the board. Versions are cut only on a terminal too narrow for them.\n",
	.examples = "tollgate status\n"
		    "tollgate status --env staging --env prod-eu --wave wave-1 --wave wave-2\n"
		    "tollgate status --json\n",
	.opts = status_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = status_exec,
};
