/*
 * cmd-progress.c - the progress printer of the commands that run steps
 * (`promote`, `soak`, `rollback`, `incident open --level 3`): a
 * promote_observer that prints plain lines, or a live view of the running
 * steps on a terminal, or nothing with --json; the CLI's SIGINT/SIGTERM
 * handler, which raises the run's cancel token; and the JSON of one outcome.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd-progress.h"
#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/promote.h"
#include "plan/plan.h"

/* The token the CLI's handler raises: a signal reaches the process, not a
 * run, so the command names the one run it stops. */
static struct cancel_token *_Atomic signal_token;

/* Said at once, from the handler (write(2) is async-signal-safe): what this
 * Ctrl-C does and what the next one would. */
static const char stop_first[] =
	"\ntollgate: stopping: nothing new starts, the running steps finish "
	"(Ctrl-C again stops them now)\n";
static const char stop_second[] =
	"\ntollgate: stopping now: the running steps are being stopped (SIGTERM, "
	"then SIGKILL)\n";

static void on_signal(int sig)
{
	struct cancel_token *t = atomic_load(&signal_token);
	int level, saved = errno;
	(void)sig;
	if (!t)
		return;
	level = cancel_level(t) < 2 ? cancel_level(t) + 1 : 2;
	cancel_raise(t, level);
	{
		const char *msg = level == 1 ? stop_first : stop_second;
		ssize_t w = write(STDERR_FILENO, msg, strlen(msg));
		(void)w; /* nothing to do about a lost notice in a handler */
	}
	errno = saved;
}

void cmd_progress_signals(struct cancel_token *t)
{
	struct sigaction sa;
	atomic_store(&signal_token, t);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = t ? on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- progress ----------------------------------------------------------------- */

static void live_clear(struct cmd_progress *pg)
{
	if (!pg->live || !pg->drawn)
		return;
	{
		char seq[32];
		snprintf(seq, sizeof(seq), "\033[%dA\033[J", pg->drawn);
		cmd_output_raw(seq);
	}
	pg->drawn = 0;
}

static void print_tail(const char *tail, const char *log)
{
	const char *s = tail ? tail : "";
	size_t len = strlen(s), lines = 0;
	const char *start = s + len;

	while (len && (s[len - 1] == '\n'))
		len--;
	start = s + len;
	while (start > s && lines < 10) {
		start--;
		if (*start == '\n')
			lines++;
	}
	if (*start == '\n')
		start++;
	if (log)
		printf("    last lines of %s:\n", log);
	while (start < s + len) {
		const char *nl = memchr(start, '\n', (size_t)(s + len - start));
		size_t n = nl ? (size_t)(nl - start) : (size_t)(s + len - start);
		printf("    | %.*s\n", (int)n, start);
		start += n + (nl ? 1 : 0);
	}
}

/* Plain lines are flushed with each tick (every 250 ms) rather than line by
 * line: a 2,000-project run prints 6,000 lines. */
static void pg_flush(struct cmd_progress *pg)
{
	if (pg->live || pg->eager)
		fflush(stdout);
}

static void pg_step_start(void *ctx, const char *project, const char *step)
{
	struct cmd_progress *pg = ctx;
	if (pg->quiet || pg->live)
		return;
	printf("%s: %s ...\n", project, step);
	pg_flush(pg);
}

static void pg_step_end(void *ctx, const char *project, const char *step, bool ok, const char *how,
			const char *tail, const char *log, int64_t ms)
{
	struct cmd_progress *pg = ctx;
	if (pg->quiet)
		return;
	live_clear(pg);
	if (ok) {
		if (!pg->live)
			printf("%s: %s done (%lld.%01llds)\n", project, step, (long long)(ms / 1000),
			       (long long)(ms % 1000 / 100));
	} else {
		printf("%s%s: %s failed%s: %s\n", cmd_color(pg->app, C_RED), project, step,
		       cmd_color(pg->app, C_RESET), how);
		if (tail && *tail)
			print_tail(tail, log);
		else
			printf("    (it printed nothing)\n");
	}
	pg_flush(pg);
}

static void pg_outcome(void *ctx, const struct promote_result *r)
{
	struct cmd_progress *pg = ctx;
	const char *col = "";
	if (pg->quiet)
		return;
	live_clear(pg);
	switch (r->outcome) {
	case PROMOTE_HEALTHY:
	case PROMOTE_SOAKING: col = C_GREEN; break;
	case PROMOTE_SKIPPED: col = C_YELLOW; break;
	default: col = C_RED; break;
	}
	printf("%s%s %s:%s %s%s%s %s\n", cmd_color(pg->app, C_BOLD),
	       pg->app->plan->projects[r->project].id, pg->app->plan->envs[r->env].name,
	       cmd_color(pg->app, C_RESET), cmd_color(pg->app, col), promote_outcome_name(r->outcome),
	       cmd_color(pg->app, C_RESET), r->version);
	if (r->detail)
		printf("    %s\n", r->detail);
	pg_flush(pg);
}

static void pg_note(void *ctx, const char *project, const char *text)
{
	struct cmd_progress *pg = ctx;
	if (pg->quiet)
		return;
	live_clear(pg);
	if (project)
		printf("%s: %s\n", project, text);
	else
		printf("%s\n", text);
	pg_flush(pg);
}

static void pg_selected(void *ctx, const struct promote_report *rep)
{
	struct cmd_progress *pg = ctx;
	const struct plan *p = pg->app->plan;
	size_t current = 0;
	if (pg->quiet || !rep->nnotready)
		return;
	for (size_t i = 0; i < rep->nnotready; i++)
		current += rep->notready[i].up_to_date;
	/* what is up to date is one line, not one refusal per project */
	if (current)
		printf("up to date: %zu project%s\n", current, current == 1 ? "" : "s");
	if (current == rep->nnotready) {
		fflush(stdout);
		return;
	}
	printf("%s not ready:\n",
	       rep->nnotready - current == 1 ? "1 project is" : "these projects are");
	for (size_t i = 0; i < rep->nnotready; i++)
		if (!rep->notready[i].up_to_date)
			printf("  %-24s %s\n", p->projects[rep->notready[i].project].id,
			       rep->notready[i].summary);
	fflush(stdout);
}

static void pg_tick(void *ctx, const struct promote_running *run, size_t n, size_t done,
		    size_t failed, size_t total)
{
	struct cmd_progress *pg = ctx;
	if (pg->quiet)
		return;
	if (!pg->live) {
		fflush(stdout);
		return;
	}
	live_clear(pg);
	for (size_t i = 0; i < n; i++) {
		printf("  %s%-28s%s %-18s %5lld.%llds\n", cmd_color(pg->app, C_DIM), run[i].project,
		       cmd_color(pg->app, C_RESET), run[i].step, (long long)(run[i].elapsed_ms / 1000),
		       (long long)(run[i].elapsed_ms % 1000 / 100));
		pg->drawn++;
	}
	printf("  %zu/%zu done, %zu failed, %zu running\n", done, total, failed, n);
	pg->drawn++;
	fflush(stdout);
}

void cmd_progress_init(struct cmd_progress *pg, struct app *app)
{
	memset(pg, 0, sizeof(*pg));
	pg->app = app;
	pg->quiet = app->json;
	pg->live = !app->json && isatty(STDOUT_FILENO) && !getenv("TOLLGATE_NO_LIVE");
	pg->obs.ctx = pg;
	pg->obs.step_start = pg_step_start;
	pg->obs.step_end = pg_step_end;
	pg->obs.outcome = pg_outcome;
	pg->obs.note = pg_note;
	pg->obs.selected = pg_selected;
	pg->obs.tick = pg_tick;
}

void cmd_progress_begin(struct cmd_progress *pg, struct app *app, bool eager,
			struct cancel_token *cancel)
{
	cmd_progress_init(pg, app);
	pg->eager = eager;
	cancel_init(cancel);
	cmd_progress_signals(cancel);
}

void cmd_progress_end(struct cmd_progress *pg)
{
	live_clear(pg);
	fflush(stdout);
}

json_t *cmd_result_json(const struct plan *p, const struct promote_result *r)
{
	return encode_promote_result(p, r);
}
