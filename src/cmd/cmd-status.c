/*
 * cmd-status.c - `tollgate status [--env E] [--wave W]`: the projects ×
 * environments board, grouped by wave: state, version, since, target date
 * and a LATE mark when the target date passed and the project is not there.
 * Open incidents and unresolved blockers follow the board.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"

#define VERSION_SHOWN 12 /* characters of a version on the board */

static const char *state_color(enum promo_state s)
{
	switch (s) {
	case PROMO_HEALTHY: return C_GREEN;
	case PROMO_SOAKING:
	case PROMO_DEPLOYING:
	case PROMO_VERIFYING: return C_YELLOW;
	case PROMO_FAILED:
	case PROMO_ROLLED_BACK:
	case PROMO_INTERRUPTED: return C_RED;
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

/* One board cell, formatted once: its text lives in a shared pool. */
struct cell_fmt {
	size_t off, len; /* of the plain text in the pool */
	size_t state_len; /* the leading state word, coloured */
	size_t width;     /* display width, LATE included */
	enum promo_state state;
	bool late;
};

static void cell_format(const struct app *app, const struct plan *p, const struct state *st,
			int pi, int ei, struct date_cache *dc, struct strbuf *pool,
			struct cell_fmt *f)
{
	const struct state_cell *c = state_cell(st, pi, ei);
	int64_t target = plan_project_target(&p->projects[pi], ei);
	const char *word = c->state == PROMO_NONE ? "-" : promo_state_name(c->state);

	f->off = pool->len;
	f->state = c->state;
	f->late = ready_is_late(p, st, pi, ei, app->now);
	strbuf_addstr(pool, word);
	f->state_len = pool->len - f->off;
	if (c->version) {
		size_t vl = strlen(c->version);
		strbuf_addch(pool, ' ');
		strbuf_add(pool, c->version, vl > VERSION_SHOWN ? VERSION_SHOWN : vl);
		if (vl > VERSION_SHOWN)
			strbuf_addstr(pool, "…");
	}
	if (c->since && c->state != PROMO_NONE) {
		strbuf_addch(pool, ' ');
		strbuf_addstr(pool, short_date(dc, c->since));
	}
	if (target && !ready_is_live(c->state)) {
		strbuf_addstr(pool, " target ");
		strbuf_addstr(pool, short_date(dc, target));
	}
	f->len = pool->len - f->off;
	f->width = width_of(pool->buf + f->off, f->len) + (f->late ? 5 : 0);
}

static void cell_print(const struct app *app, const struct strbuf *pool, const struct cell_fmt *f,
		       size_t width)
{
	const char *t = pool->buf + f->off;
	fputs("  ", stdout);
	fputs(cmd_color(app, state_color(f->state)), stdout);
	fwrite(t, 1, f->state_len, stdout);
	fputs(cmd_color(app, C_RESET), stdout);
	fwrite(t + f->state_len, 1, f->len - f->state_len, stdout);
	if (f->late)
		printf(" %sLATE%s", cmd_color(app, C_RED), cmd_color(app, C_RESET));
	for (size_t i = f->width; i < width; i++)
		putchar(' ');
}



static void print_footer(const struct app *app, const struct plan *p, const struct state *st)
{
	char d[32];
	bool head = false;
	for (size_t i = 0; i < st->nincidents; i++) {
		const struct state_incident *in = &st->incidents[i];
		if (!in->open)
			continue;
		if (!head)
			printf("\n%sOpen incidents%s\n", cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
		head = true;
		printf("  %s%lld%s  level %d  %s%s%s  since %s  %s\n",
		       cmd_color(app, in->level >= 2 ? C_RED : C_YELLOW), (long long)in->id,
		       cmd_color(app, C_RESET), in->level,
		       in->project >= 0 ? p->projects[in->project].id : "",
		       in->project >= 0 ? "@" : "", in->env >= 0 ? p->envs[in->env].name : "",
		       util_fmt_time(in->opened_at, d, sizeof(d)), in->text ? in->text : "");
	}
	head = false;
	for (size_t i = 0; i < p->nblockers; i++) {
		const struct plan_blocker *b = &p->blockers[i];
		if (st->blockers[i].resolved)
			continue;
		if (!head)
			printf("\n%sOpen blockers%s\n", cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
		head = true;
		printf("  %s  %d%%", b->id, st->blockers[i].progress);
		if (b->blocks_env >= 0)
			printf("  blocks %s", p->envs[b->blocks_env].name);
		if (b->owner)
			printf("  owner %s", b->owner);
		if (b->due)
			printf("  due %s", util_fmt_date(b->due, d, sizeof(d)));
		putchar('\n');
	}
}

/* A JSON string, escaped (the store keeps text valid UTF-8). */
static void json_str(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		strbuf_add(sb, run, (size_t)(s - run));
		run = s + 1;
		switch (ch) {
		case '"': strbuf_addstr(sb, "\\\""); break;
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\t': strbuf_addstr(sb, "\\t"); break;
		case '\r': strbuf_addstr(sb, "\\r"); break;
		default:
			strbuf_addstr(sb, "\\u00");
			strbuf_addch(sb, hex[ch >> 4]);
			strbuf_addch(sb, hex[ch & 15]);
		}
	}
	strbuf_add(sb, run, (size_t)(s - run));
	strbuf_addch(sb, '"');
}

/*
 * status --json, written directly: a large board has tens of thousands of
 * cells and building a jansson tree for them costs more than the rest of the
 * command. One cell per line, the document indented like cmd_print_json's.
 */
static void status_json(const struct app *app, const struct state *st, int only_env,
			int only_wave, const size_t *order, const size_t *start)
{
	const struct plan *p = app->plan;
	struct strbuf sb = STRBUF_INIT;
	char buf[32];
	bool first = true;

	strbuf_addstr(&sb, "{\n  \"plan\": ");
	json_str(&sb, p->id);
	strbuf_addf(&sb, ",\n  \"now\": \"%s\",\n  \"cells\": [",
		    util_fmt_time(app->now, buf, sizeof(buf)));
	for (size_t w = 0; w < p->nwaves; w++) {
		if (only_wave >= 0 && (int)w != only_wave)
			continue;
		for (size_t k = start[w]; k < start[w + 1]; k++) {
			int pi = (int)order[k];
			for (size_t ei = 0; ei < p->nenvs; ei++) {
				const struct state_cell *c = state_cell(st, pi, (int)ei);
				int64_t target;
				if (only_env >= 0 && (int)ei != only_env)
					continue;
				strbuf_addstr(&sb, first ? "\n    {\"project\": " : ",\n    {\"project\": ");
				first = false;
				json_str(&sb, p->projects[pi].id);
				strbuf_addstr(&sb, ", \"env\": ");
				json_str(&sb, p->envs[ei].name);
				strbuf_addstr(&sb, ", \"state\": \"");
				strbuf_addstr(&sb, promo_state_name(c->state));
				strbuf_addstr(&sb, "\", \"version\": ");
				if (c->version)
					json_str(&sb, c->version);
				else
					strbuf_addstr(&sb, "null");
				strbuf_addstr(&sb, ", \"since\": ");
				if (c->since)
					strbuf_addf(&sb, "\"%s\"", util_fmt_time(c->since, buf, sizeof(buf)));
				else
					strbuf_addstr(&sb, "null");
				strbuf_addstr(&sb, ", \"target\": ");
				target = plan_project_target(&p->projects[pi], (int)ei);
				if (target)
					strbuf_addf(&sb, "\"%s\"", util_fmt_date(target, buf, sizeof(buf)));
				else
					strbuf_addstr(&sb, "null");
				strbuf_addstr(&sb, ready_is_late(p, st, pi, (int)ei, app->now)
							   ? ", \"late\": true, \"wave\": "
							   : ", \"late\": false, \"wave\": ");
				json_str(&sb, p->waves[w].id);
				strbuf_addch(&sb, '}');
			}
		}
	}
	strbuf_addstr(&sb, first ? "]\n}\n" : "\n  ]\n}\n");
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

static int status_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const char *env_opt = cmd_opt(args, "env"), *wave_opt = cmd_opt(args, "wave");
	struct state st;
	struct err e;
	int only_env = -1, only_wave = -1, last;
	size_t *order = NULL, *start = NULL, *widths = NULL, idw = 7;
	struct strbuf pool = STRBUF_INIT;
	struct cell_fmt *fmt = NULL;
	struct date_cache dc;
	char now[32];

	err_init(&e);
	if (env_opt && (only_env = action_find_env(p, env_opt, &e)) < 0)
		return cmd_err(&e);
	if (wave_opt && (only_wave = action_find_wave(p, wave_opt, &e)) < 0)
		return cmd_err(&e);
	if (state_load(&st, p, app->store, &e) < 0)
		return cmd_err(&e);

	/* projects bucketed by wave, in plan order: O(n) */
	order = xcalloc(p->nprojects + 1, sizeof(*order));
	start = xcalloc(p->nwaves + 2, sizeof(*start));
	for (size_t i = 0; i < p->nprojects; i++)
		start[p->projects[i].wave + 1]++;
	for (size_t w = 0; w < p->nwaves; w++)
		start[w + 1] += start[w];
	{
		size_t *fill = xcalloc(p->nwaves + 1, sizeof(*fill));
		for (size_t i = 0; i < p->nprojects; i++) {
			int w = p->projects[i].wave;
			order[start[w] + fill[w]++] = i;
		}
		free(fill);
	}

	if (app->json) {
		status_json(app, &st, only_env, only_wave, order, start);
		goto out;
	}

	/* column widths over the shown rows, so every wave lines up */
	last = only_env >= 0 ? only_env : (int)p->nenvs - 1;
	memset(&dc, 0, sizeof(dc));
	fmt = xcalloc(p->nprojects * p->nenvs + 1, sizeof(*fmt));
	widths = xcalloc(p->nenvs + 1, sizeof(*widths));
	for (size_t ei = 0; ei < p->nenvs; ei++)
		widths[ei] = width_of_str(p->envs[ei].title ? p->envs[ei].title : p->envs[ei].name);
	for (size_t w = 0; w < p->nwaves; w++) {
		if (only_wave >= 0 && (int)w != only_wave)
			continue;
		for (size_t k = start[w]; k < start[w + 1]; k++) {
			int pi = (int)order[k];
			size_t l = width_of_str(p->projects[pi].id);
			if (l > idw)
				idw = l;
			for (size_t ei = 0; ei < p->nenvs; ei++) {
				struct cell_fmt *f = &fmt[(size_t)pi * p->nenvs + ei];
				if (only_env >= 0 && (int)ei != only_env)
					continue;
				cell_format(app, p, &st, pi, (int)ei, &dc, &pool, f);
				if (f->width > widths[ei])
					widths[ei] = f->width;
			}
		}
	}

	printf("%s%s%s  %s", cmd_color(app, C_BOLD), p->id, cmd_color(app, C_RESET),
	       p->title ? p->title : "");
	printf("  (now %s)\n", util_fmt_time(app->now, now, sizeof(now)));
	for (size_t w = 0; w < p->nwaves; w++) {
		const struct plan_wave *wv = &p->waves[w];
		char a[32], b[32];
		if (only_wave >= 0 && (int)w != only_wave)
			continue;
		printf("\n%s%s%s", cmd_color(app, C_BOLD), wv->id, cmd_color(app, C_RESET));
		if (wv->title)
			printf("  %s", wv->title);
		if (wv->has_window)
			printf("  (%s to %s)", util_fmt_date(wv->window_from, a, sizeof(a)),
			       util_fmt_date(wv->window_to, b, sizeof(b)));
		if (wv->after_wave >= 0)
			printf("  after %s in %s", p->waves[wv->after_wave].id, p->envs[wv->after_env].name);
		putchar('\n');
		if (start[w] == start[w + 1]) {
			printf("  (no project)\n");
			continue;
		}
		printf("  %s%-*s", cmd_color(app, C_DIM), (int)idw, "PROJECT");
		for (size_t ei = 0; ei < p->nenvs; ei++) {
			const char *t = p->envs[ei].title ? p->envs[ei].title : p->envs[ei].name;
			if (only_env >= 0 && (int)ei != only_env)
				continue;
			printf("  %s%*s", t, (int)ei == last ? 0 : (int)(widths[ei] - width_of_str(t)), "");
		}
		printf("%s\n", cmd_color(app, C_RESET));
		for (size_t k = start[w]; k < start[w + 1]; k++) {
			int pi = (int)order[k];
			printf("  %-*s", (int)idw, p->projects[pi].id);
			for (size_t ei = 0; ei < p->nenvs; ei++) {
				if (only_env >= 0 && (int)ei != only_env)
					continue;
				/* no padding after the last column */
				cell_print(app, &pool, &fmt[(size_t)pi * p->nenvs + ei],
					   (int)ei == last ? 0 : widths[ei]);
			}
			putchar('\n');
		}
	}
	print_footer(app, p, &st);
out:
	strbuf_release(&pool);
	free(fmt);
	free(order);
	free(start);
	free(widths);
	state_release(&st);
	return EXIT_OK;
}

static const struct cmd_opt status_opts[] = {
	{ "env", 0, true, false, "only this environment's column" },
	{ "wave", 0, true, false, "only this wave's projects" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.usage = "[--env E] [--wave W]",
	.summary = "the projects × environments board: state, version, since, target, late marks",
	.help = "Each cell shows the state, the version, since when, and for a project not yet\n"
		"there its target date; LATE when the target date has passed (TOLLGATE_NOW\n"
		"overrides the clock). Open incidents and blockers follow the board.\n",
	.opts = status_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE,
	.exec = status_exec,
};
