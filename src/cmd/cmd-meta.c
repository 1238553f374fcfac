/*
 * cmd-meta.c - the hidden commands that make tollgate's man pages and shell
 * completions from the command table, so that they say what --help says:
 *
 *   tollgate __man [COMMAND]          roff: tollgate(1), or tollgate-COMMAND(1)
 *   tollgate __completion bash|zsh|fish   the completion script
 *   tollgate __complete KIND          the plan's ids of a kind, one a line
 *                                     (what the scripts call for PROJECT, --to …)
 *
 * The build runs the first two (scripts/gen-man-completions.sh) and `make
 * install` installs what they wrote. What each positional argument and each
 * option's value is (a project, an environment …) is the table below: the
 * command table says which options exist and whether they take a value.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "plan/plan.h"

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.1.0"
#endif

/* ---- what arguments are ------------------------------------------------------ */

/*
 * Each positional argument of a command, in order: a kind of id of the plan
 * ("project", "env", "gate", "item", "blocker", "wave", "person",
 * "channel"), "file", "dir", "command", or "=w1 w2" (one of these words).
 * A kind ending in '*' stands for every argument from there on.
 */
static const struct {
	const char *cmd;
	const char *pos[3];
} positional[] = {
	{ "init", { "dir" } },
	{ "why", { "project", "env" } },
	{ "record", { "project", "env" } },
	{ "rollback", { "project", "env" } },
	{ "approve", { "gate" } },
	{ "revoke", { "gate" } },
	{ "reject", { "project" } },
	{ "allow", { "project" } },
	{ "check", { "item" } },
	{ "uncheck", { "item" } },
	{ "checklist", { "=list run", "item*" } },
	{ "blocker", { "blocker" } },
	{ "incident", { "=open resolve" } },
	{ "forget", { "=project env gate item blocker" } },
	{ "token", { "=create list revoke", "person" } },
	{ "notify", { "=drain list retry test", "channel" } },
	{ "help", { "command" } },
};

/* The value of an option, by its name (any command). */
static const struct {
	const char *opt;
	const char *kind;
} option_kind[] = {
	{ "plan", "file" },     { "as", "person" },       { "to", "env" },
	{ "env", "env" },       { "wave", "wave" },       { "project", "project" },
	{ "versions", "file" }, { "output", "file" },     { "format", "=md html json" },
	{ "role", "role" },     { "tls-cert", "file" },   { "tls-key", "file" },
	{ "actor", "person" },
};

static const char *const global_long[] = { "plan", "db", "as", "json", "no-color", "help",
					   "version" };

static const char *kind_of_option(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_kind); i++)
		if (!strcmp(option_kind[i].opt, name))
			return option_kind[i].kind;
	return "";
}

static bool visible(const struct cmd_entry *e)
{
	return !e->hidden;
}

/* ---- __complete -------------------------------------------------------------- */

static void put_unique(const char *s, const char **seen, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(seen[i], s))
			return;
	seen[(*n)++] = s;
	printf("%s\n", s);
}

static int complete_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const char *kind = args->argv[0];
	enum plan_kind k;

	if (!strcmp(kind, "command")) {
		for (size_t i = 0; cmd_table[i]; i++)
			if (visible(cmd_table[i]))
				printf("%s\n", cmd_table[i]->name);
		return EXIT_OK;
	}
	if (!p)
		return EXIT_OK;
	if (!strcmp(kind, "person")) {
		for (size_t i = 0; i < p->npeople; i++)
			if (!p->people[i].tbd)
				printf("%s\n", p->people[i].id);
		return EXIT_OK;
	}
	if (!strcmp(kind, "channel")) {
		for (size_t i = 0; i < p->nchannels; i++)
			printf("%s\n", p->channels[i].id);
		return EXIT_OK;
	}
	if (!strcmp(kind, "role")) {
		size_t n = 0, cap = 0;
		const char **seen;
		for (size_t i = 0; i < p->npeople; i++)
			cap += p->people[i].nroles;
		seen = xcalloc(cap + 1, sizeof(*seen));
		for (size_t i = 0; i < p->npeople; i++)
			for (size_t r = 0; r < p->people[i].nroles; r++)
				put_unique(p->people[i].roles[r], seen, &n);
		free(seen);
		return EXIT_OK;
	}
	if (plan_kind_parse(kind, &k) < 0)
		return cmd_error(EXIT_USAGE,
				 "unknown kind '%s': project, env, gate, item, wave, blocker, person, "
				 "role, channel or command",
				 kind);
	for (size_t i = 0; i < plan_kind_count(p, k); i++)
		printf("%s\n", plan_kind_id(p, k, (int)i));
	return EXIT_OK;
}

/* ---- completion scripts ------------------------------------------------------ */

/* shell functions shared by bash and zsh: what the table says, as `case`s */
static void sh_tables(FILE *f)
{
	fputs("_tollgate_commands='", f);
	for (size_t i = 0, n = 0; cmd_table[i]; i++)
		if (visible(cmd_table[i]))
			fprintf(f, "%s%s", n++ ? " " : "", cmd_table[i]->name);
	fputs("'\n", f);
	fputs("_tollgate_globals='", f);
	for (size_t i = 0; i < ARRAY_SIZE(global_long); i++)
		fprintf(f, "%s--%s", i ? " " : "", global_long[i]);
	fputs("'\n\n# the options of a command\n_tollgate_opts() {\n\tcase $1 in\n", f);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e) || !e->opts || !e->opts[0].name)
			continue;
		fprintf(f, "\t%s) echo '", e->name);
		for (const struct cmd_opt *o = e->opts; o->name; o++)
			fprintf(f, "%s--%s", o == e->opts ? "" : " ", o->name);
		fputs("' ;;\n", f);
	}
	fputs("\tesac\n}\n\n# what the value of option $2 of command $1 is; fails when it takes none\n"
	      "_tollgate_optkind() {\n\tcase \"$1 $2\" in\n"
	      "\t*' --plan') echo file ;;\n\t*' --db') echo '' ;;\n\t*' --as') echo person ;;\n",
	      f);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e))
			continue;
		for (const struct cmd_opt *o = e->opts; o && o->name; o++) {
			if (!o->has_arg)
				continue;
			fprintf(f, "\t'%s --%s'", e->name, o->name);
			if (o->short_name)
				fprintf(f, "|'%s -%c'", e->name, o->short_name);
			fprintf(f, ") echo '%s' ;;\n", kind_of_option(o->name));
		}
	}
	/* before the command: any command's option that takes a value */
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e))
			continue;
		for (const struct cmd_opt *o = e->opts; o && o->name; o++) {
			bool dup = false;
			if (!o->has_arg)
				continue;
			for (size_t j = 0; j < i && !dup; j++)
				for (const struct cmd_opt *q = cmd_table[j]->opts; q && q->name; q++)
					if (visible(cmd_table[j]) && q->has_arg && !strcmp(q->name, o->name))
						dup = true;
			for (const struct cmd_opt *q = e->opts; q < o && !dup; q++)
				if (q->has_arg && !strcmp(q->name, o->name))
					dup = true;
			if (!dup)
				fprintf(f, "\t' --%s') echo '%s' ;;\n", o->name, kind_of_option(o->name));
		}
	}
	fputs("\t*) return 1 ;;\n\tesac\n}\n\n"
	      "# what positional argument $2 (from 0) of command $1 is\n"
	      "_tollgate_poskind() {\n\tcase \"$1 $2\" in\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(positional); i++)
		for (size_t k = 0; k < ARRAY_SIZE(positional[i].pos) && positional[i].pos[k]; k++) {
			const char *kind = positional[i].pos[k];
			size_t len = strlen(kind);
			if (kind[len - 1] == '*')
				fprintf(f, "\t'%s '*) echo '%.*s' ;;\n", positional[i].cmd, (int)len - 1,
					kind);
			else
				fprintf(f, "\t'%s %zu') echo '%s' ;;\n", positional[i].cmd, k, kind);
		}
	fputs("\tesac\n}\n", f);
}

/* the part of the bash and zsh functions that reads the words typed so far:
 * sets cmd, npos (positionals after the command), plan (--plan FILE) */
static const char sh_scan[] =
	"\tcmd= npos=0 plan=()\n"
	"\tlocal i=1 w\n"
	"\twhile [ \"$i\" -lt \"$cword\" ]; do\n"
	"\t\tw=${words[$((i + base))]}\n"
	"\t\tcase $w in\n"
	"\t\t--plan) plan=(--plan \"${words[$((i + base + 1))]}\"); i=$((i + 1)) ;;\n"
	"\t\t--plan=*) plan=(--plan \"${w#--plan=}\") ;;\n"
	"\t\t--*=*) ;;\n"
	"\t\t-?*) if _tollgate_optkind \"$cmd\" \"$w\" >/dev/null; then i=$((i + 1)); fi ;;\n"
	"\t\t*) if [ -z \"$cmd\" ]; then cmd=$w; else npos=$((npos + 1)); fi ;;\n"
	"\t\tesac\n"
	"\t\ti=$((i + 1))\n"
	"\tdone\n";

/* the candidates of kind $1, one a line */
static const char sh_values[] =
	"_tollgate_values() {\n"
	"\tcase $1 in\n"
	"\t'') ;;\n"
	"\t'='*) printf '%s\\n' $(echo \"${1#=}\") ;;\n"
	"\tcommand) printf '%s\\n' $(echo \"$_tollgate_commands\") ;;\n"
	"\tfile|dir) ;;\n"
	"\t*) command tollgate \"${plan[@]}\" __complete \"$1\" 2>/dev/null ;;\n"
	"\tesac\n"
	"}\n\n";

static void bash_script(FILE *f)
{
	fputs("# bash completion for tollgate (generated by 'tollgate __completion bash'\n"
	      "# from the command table; ids come from the plan: 'tollgate __complete KIND')\n\n",
	      f);
	sh_tables(f);
	fputs("\n", f);
	fputs(sh_values, f);
	fputs("_tollgate() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=\n"
	      "\tlocal -a words=(\"${COMP_WORDS[@]}\") plan=()\n"
	      "\tlocal cword=$COMP_CWORD base=0 cmd npos kind\n"
	      "\t[ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}\n",
	      f);
	fputs(sh_scan, f);
	fputs("\tCOMPREPLY=()\n"
	      "\tif [ \"$cword\" -gt 1 ] && [[ $prev == -?* ]] && [[ $prev != *=* ]] &&\n"
	      "\t\tkind=$(_tollgate_optkind \"$cmd\" \"$prev\"); then\n"
	      "\t\tcase $kind in\n"
	      "\t\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	      "\t\t*) COMPREPLY=($(compgen -W \"$(_tollgate_values \"$kind\")\" -- \"$cur\")) ;;\n"
	      "\t\tesac\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(_tollgate_opts \"$cmd\") $_tollgate_globals\" -- \"$cur\"))\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tif [ -z \"$cmd\" ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$_tollgate_commands\" -- \"$cur\"))\n"
	      "\t\treturn 0\n"
	      "\tfi\n"
	      "\tkind=$(_tollgate_poskind \"$cmd\" \"$npos\")\n"
	      "\tcase $kind in\n"
	      "\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	      "\tdir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	      "\t*) COMPREPLY=($(compgen -W \"$(_tollgate_values \"$kind\")\" -- \"$cur\")) ;;\n"
	      "\tesac\n"
	      "\treturn 0\n"
	      "}\n"
	      "complete -F _tollgate tollgate\n",
	      f);
}

static void zsh_script(FILE *f)
{
	fputs("#compdef tollgate\n"
	      "# zsh completion for tollgate (generated by 'tollgate __completion zsh' from\n"
	      "# the command table; ids come from the plan: 'tollgate __complete KIND')\n\n",
	      f);
	sh_tables(f);
	fputs("\n", f);
	fputs(sh_values, f);
	fputs("_tollgate() {\n"
	      "\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
	      "\tlocal -a plan cands descs\n"
	      "\tlocal cword=$((CURRENT - 1)) base=1 cmd npos kind\n",
	      f);
	fputs(sh_scan, f);
	fputs("\tif [ \"$cword\" -gt 1 ] && [[ $prev == -?* ]] && [[ $prev != *=* ]] &&\n"
	      "\t\tkind=$(_tollgate_optkind \"$cmd\" \"$prev\"); then\n"
	      "\t\tcase $kind in\n"
	      "\t\tfile) _files ;;\n"
	      "\t\t*) cands=(${(f)\"$(_tollgate_values \"$kind\")\"}); compadd -a cands ;;\n"
	      "\t\tesac\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tcands=(${=$(_tollgate_opts \"$cmd\")} ${=_tollgate_globals})\n"
	      "\t\tcompadd -a cands\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [ -z \"$cmd\" ]; then\n"
	      "\t\tcands=(\n",
	      f);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		struct strbuf sb = STRBUF_INIT;
		if (!visible(e))
			continue;
		for (const char *s = e->summary; *s; s++) {
			if (*s == '\'')
				strbuf_addstr(&sb, "'\\''");
			else if (*s == ':')
				strbuf_addstr(&sb, "\\:");
			else
				strbuf_addch(&sb, *s);
		}
		fprintf(f, "\t\t\t'%s:%s'\n", e->name, sb.len ? sb.buf : "");
		strbuf_release(&sb);
	}
	fputs("\t\t)\n"
	      "\t\t_describe -t commands 'tollgate command' cands\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tkind=$(_tollgate_poskind \"$cmd\" \"$npos\")\n"
	      "\tcase $kind in\n"
	      "\tfile) _files ;;\n"
	      "\tdir) _files -/ ;;\n"
	      "\t*) cands=(${(f)\"$(_tollgate_values \"$kind\")\"}); compadd -a cands ;;\n"
	      "\tesac\n"
	      "}\n\n"
	      "if [ \"$funcstack[1]\" = _tollgate ]; then\n"
	      "\t_tollgate \"$@\"\n"
	      "else\n"
	      "\tcompdef _tollgate tollgate\n"
	      "fi\n",
	      f);
}

static void fish_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void fish_script(FILE *f)
{
	fputs("# fish completion for tollgate (generated by 'tollgate __completion fish' from\n"
	      "# the command table; ids come from the plan: 'tollgate __complete KIND')\n\n"
	      "complete -c tollgate -e\n"
	      "complete -c tollgate -f\n\n"
	      "# the words typed: prints the command, then the number of positionals after it\n"
	      "function __tollgate_scan\n"
	      "    set -l words (commandline -opc)\n"
	      "    set -l cmd ''\n"
	      "    set -l npos 0\n"
	      "    set -l skip 0\n"
	      "    for w in $words[2..-1]\n"
	      "        if test $skip = 1\n"
	      "            set skip 0\n"
	      "            continue\n"
	      "        end\n"
	      "        switch $w\n"
	      "            case '--*=*'\n"
	      "            case '-*'\n"
	      "                if __tollgate_optkind \"$cmd\" $w >/dev/null\n"
	      "                    set skip 1\n"
	      "                end\n"
	      "            case '*'\n"
	      "                if test -z \"$cmd\"\n"
	      "                    set cmd $w\n"
	      "                else\n"
	      "                    set npos (math $npos + 1)\n"
	      "                end\n"
	      "        end\n"
	      "    end\n"
	      "    echo $cmd\n"
	      "    echo $npos\n"
	      "end\n\n"
	      "function __tollgate_plan\n"
	      "    set -l words (commandline -opc)\n"
	      "    for i in (seq (count $words))\n"
	      "        if test \"$words[$i]\" = --plan; and test $i -lt (count $words)\n"
	      "            echo --plan\n"
	      "            echo $words[(math $i + 1)]\n"
	      "        end\n"
	      "    end\n"
	      "end\n\n"
	      "function __tollgate_optkind\n"
	      "    switch \"$argv[1] $argv[2]\"\n"
	      "        case '* --plan'\n            echo file\n"
	      "        case '* --db'\n            echo ''\n"
	      "        case '* --as'\n            echo person\n",
	      f);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e))
			continue;
		for (const struct cmd_opt *o = e->opts; o && o->name; o++) {
			if (!o->has_arg)
				continue;
			fprintf(f, "        case '%s --%s'", e->name, o->name);
			if (o->short_name)
				fprintf(f, " '%s -%c'", e->name, o->short_name);
			fprintf(f, "\n            echo '%s'\n", kind_of_option(o->name));
		}
	}
	fputs("        case '*'\n"
	      "            switch $argv[2]\n",
	      f);
	/* before the command: any command's option that takes a value */
	fputs("                case", f);
	for (size_t i = 0; cmd_table[i]; i++)
		for (const struct cmd_opt *o = cmd_table[i]->opts; visible(cmd_table[i]) && o && o->name; o++)
			if (o->has_arg)
				fprintf(f, " '--%s'", o->name);
	fputs("\n                    echo ''\n"
	      "                case '*'\n"
	      "                    return 1\n"
	      "            end\n"
	      "    end\n"
	      "end\n\n"
	      "function __tollgate_poskind\n"
	      "    switch \"$argv[1] $argv[2]\"\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(positional); i++)
		for (size_t k = 0; k < ARRAY_SIZE(positional[i].pos) && positional[i].pos[k]; k++) {
			const char *kind = positional[i].pos[k];
			size_t len = strlen(kind);
			if (kind[len - 1] == '*')
				fprintf(f, "        case '%s *'\n            echo '%.*s'\n", positional[i].cmd,
					(int)len - 1, kind);
			else
				fprintf(f, "        case '%s %zu'\n            echo '%s'\n", positional[i].cmd,
					k, kind);
		}
	fputs("    end\n"
	      "end\n\n"
	      "function __tollgate_values\n"
	      "    switch \"$argv[1]\"\n"
	      "        case ''\n"
	      "        case '=*'\n"
	      "            string split ' ' -- (string sub -s 2 -- $argv[1])\n"
	      "        case command\n"
	      "            __tollgate_commands\n"
	      "        case file\n"
	      "            __fish_complete_path (commandline -ct)\n"
	      "        case dir\n"
	      "            __fish_complete_directories (commandline -ct)\n"
	      "        case '*'\n"
	      "            command tollgate (__tollgate_plan) __complete $argv[1] 2>/dev/null\n"
	      "    end\n"
	      "end\n\n"
	      "function __tollgate_commands\n",
	      f);
	for (size_t i = 0; cmd_table[i]; i++)
		if (visible(cmd_table[i])) {
			fprintf(f, "    printf '%%s\\t%%s\\n' %s ", cmd_table[i]->name);
			fish_quote(f, cmd_table[i]->summary);
			fputc('\n', f);
		}
	fputs("end\n\n"
	      "# what the current word may be\n"
	      "function __tollgate_complete\n"
	      "    set -l scan (__tollgate_scan)\n"
	      "    set -l words (commandline -opc)\n"
	      "    set -l kind\n"
	      "    if test (count $words) -gt 1; and set kind (__tollgate_optkind \"$scan[1]\" $words[-1])\n"
	      "        __tollgate_values \"$kind\"\n"
	      "        return\n"
	      "    end\n"
	      "    if test -z \"$scan[1]\"\n"
	      "        __tollgate_commands\n"
	      "        return\n"
	      "    end\n"
	      "    __tollgate_values (__tollgate_poskind $scan[1] $scan[2])\n"
	      "end\n\n"
	      "complete -c tollgate -n 'not string match -q -- \"-*\" (commandline -ct)' -a '(__tollgate_complete)'\n",
	      f);
	/* the options, with their help */
	for (size_t i = 0; i < ARRAY_SIZE(global_long); i++)
		fprintf(f, "complete -c tollgate -l %s\n", global_long[i]);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e))
			continue;
		for (const struct cmd_opt *o = e->opts; o && o->name; o++) {
			fprintf(f, "complete -c tollgate -n '__fish_seen_subcommand_from %s' -l %s", e->name,
				o->name);
			if (o->short_name)
				fprintf(f, " -s %c", o->short_name);
			if (o->help) {
				fputs(" -d ", f);
				fish_quote(f, o->help);
			}
			fputc('\n', f);
		}
	}
}

static int completion_exec(struct app *app, struct cmd_args *args)
{
	const char *shell = args->argv[0];
	(void)app;
	if (!strcmp(shell, "bash"))
		bash_script(stdout);
	else if (!strcmp(shell, "zsh"))
		zsh_script(stdout);
	else if (!strcmp(shell, "fish"))
		fish_script(stdout);
	else
		return cmd_error(EXIT_USAGE, "no completion for shell '%s': bash, zsh or fish", shell);
	return EXIT_OK;
}

/* ---- man pages ----------------------------------------------------------------- */

/* text for roff: a backslash is \e, a '-' is \-, a line never starts with . or ',
 * and what is not ASCII is named by its code point (\[u00D7]) */
static void roff_text(FILE *f, const char *s, size_t len)
{
	bool bol = true;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned char u = (unsigned char)c;
		if (bol && (c == '.' || c == '\''))
			fputs("\\&", f);
		bol = c == '\n';
		if (u >= 0xC0) {
			unsigned cp;
			int more = u >= 0xF0 ? 3 : u >= 0xE0 ? 2 : 1;
			cp = u & (0x3F >> more);
			for (int k = 0; k < more && i + 1 < len; k++)
				cp = cp << 6 | ((unsigned char)s[++i] & 0x3F);
			fprintf(f, "\\[u%04X]", cp);
		} else if (u >= 0x80) {
			fputc('?', f); /* a stray continuation byte: the text is UTF-8 */
		} else if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
	}
}

static void roff_str(FILE *f, const char *s)
{
	roff_text(f, s, strlen(s));
}

/* a help text: paragraphs apart by blank lines; lines kept as they are */
static void roff_paragraphs(FILE *f, const char *s)
{
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (!len)
			fputs(".PP\n", f);
		else {
			roff_text(f, s, len);
			fputc('\n', f);
		}
		s += len + (nl ? 1 : 0);
	}
}

static void roff_upper(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s, f);
}

static void man_header(FILE *f, const char *name)
{
	fputs(".TH ", f);
	roff_upper(f, name);
	fprintf(f, " 1 \"\" \"tollgate %s\" \"tollgate manual\"\n", TOLLGATE_VERSION);
}

static const char man_globals[] =
	".TP\n.BI \\-\\-plan \" FILE\"\nthe plan (default ./tollgate.yaml, or TOLLGATE_PLAN)\n"
	".TP\n.BI \\-\\-db \" URL\"\nthe store: sqlite:PATH or postgres://... (or TOLLGATE_DB)\n"
	".TP\n.BI \\-\\-as \" PERSON\"\nact as this people id (or TOLLGATE_USER)\n"
	".TP\n.B \\-\\-json\nmachine output on stdout, nothing else there; errors as\n"
	"{\"error\": {\"code\", \"message\"}}\n"
	".TP\n.B \\-\\-no\\-color\nno colour (NO_COLOR is honoured too)\n"
	".TP\n.BR \\-h \", \" \\-\\-help\nthe help (also: tollgate help COMMAND)\n"
	".TP\n.B \\-\\-version\nprint tollgate's version and exit\n";

static const char man_exit[] =
	".SH EXIT STATUS\n"
	"0 done, 1 an operation failed, 2 usage error or invalid plan, 3 nothing done\n"
	"because of a readiness rule.\n";

static void man_command(FILE *f, const struct cmd_entry *e)
{
	char page[64];
	snprintf(page, sizeof(page), "tollgate-%s", e->name);
	man_header(f, page);
	fputs(".SH NAME\n", f);
	roff_str(f, page);
	fputs(" \\- ", f);
	roff_str(f, e->summary);
	fputs("\n.SH SYNOPSIS\n.nf\n\\fBtollgate ", f);
	roff_str(f, e->name);
	fputs("\\fR", f);
	if (*e->usage) {
		fputc(' ', f);
		roff_str(f, e->usage);
	}
	fputc('\n', f);
	fputs(".fi\n.SH DESCRIPTION\n", f);
	roff_str(f, e->summary);
	fputs(".\n", f);
	if (e->help) {
		fputs(".PP\n", f);
		roff_paragraphs(f, e->help);
	}
	if (e->opts && e->opts[0].name) {
		fputs(".SH OPTIONS\n", f);
		for (const struct cmd_opt *o = e->opts; o->name; o++) {
			fputs(".TP\n", f);
			if (o->short_name)
				fprintf(f, ".BR \\-%c \", \" ", o->short_name);
			else
				fputs(".B ", f);
			fputs("\\-\\-", f);
			roff_str(f, o->name);
			if (o->has_arg)
				fputs(" \\fIARG\\fR", f);
			fputc('\n', f);
			roff_str(f, o->help ? o->help : "");
			fputc('\n', f);
		}
	}
	fputs(".SH GLOBAL OPTIONS\n", f);
	fputs(man_globals, f);
	if (e->examples) {
		fputs(".SH EXAMPLES\n.nf\n.RS\n", f);
		roff_str(f, e->examples);
		fputs(".RE\n.fi\n", f);
	}
	fputs(man_exit, f);
	fputs(".SH SEE ALSO\n.BR tollgate (1)\n", f);
}

static void man_overview(FILE *f)
{
	man_header(f, "tollgate");
	fputs(".SH NAME\ntollgate \\- runs a release promotion plan\n"
	      ".SH SYNOPSIS\n.B tollgate\n[\\-\\-plan FILE] [\\-\\-db URL] [\\-\\-as PERSON] [\\-\\-json]\n"
	      ".I COMMAND\n[ARGS]\n"
	      ".SH DESCRIPTION\n"
	      "tollgate runs a release promotion plan (DEV \\-> SIT \\-> PROD): readiness,\n"
	      "approvals, checklists, blockers, promotions, soak, rollback and the report.\n"
	      "Each command has its own page, tollgate\\-COMMAND(1), and\n"
	      ".B tollgate help\n.I COMMAND\nprints the same.\n.SH COMMANDS\n",
	      f);
	for (size_t i = 0; cmd_table[i]; i++) {
		const struct cmd_entry *e = cmd_table[i];
		if (!visible(e))
			continue;
		fputs(".TP\n.BR tollgate\\-", f);
		roff_str(f, e->name);
		fputs(" (1)\n", f);
		roff_str(f, e->summary);
		fputc('\n', f);
	}
	fputs(".SH GLOBAL OPTIONS\n", f);
	fputs(man_globals, f);
	fputs(man_exit, f);
	fputs(".SH FILES\n.TP\n.I tollgate.yaml\nthe plan\n.TP\n.I .tollgate/state.db\n"
	      "the store beside the plan, unless \\-\\-db or TOLLGATE_DB names another\n",
	      f);
	fputs(".SH SEE ALSO\n", f);
	for (size_t i = 0, n = 0; cmd_table[i]; i++)
		if (visible(cmd_table[i])) {
			fprintf(f, "%s.BR tollgate\\-", n++ ? ",\n" : "");
			roff_str(f, cmd_table[i]->name);
			fputs(" (1)", f);
		}
	fputs("\n", f);
}

static int man_exec(struct app *app, struct cmd_args *args)
{
	const struct cmd_entry *e;
	(void)app;
	if (!args->argc) {
		man_overview(stdout);
		return EXIT_OK;
	}
	e = cmd_find(args->argv[0]);
	if (!e || !visible(e))
		return cmd_error(EXIT_USAGE, "unknown command '%s'", args->argv[0]);
	man_command(stdout, e);
	return EXIT_OK;
}

const struct cmd_entry cmd_complete_entry = {
	.name = "__complete",
	.usage = "KIND",
	.summary = "the plan's ids of a kind, one a line (for the shell completions)",
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_PLAN,
	.exec = complete_exec,
	.hidden = true,
};

const struct cmd_entry cmd_completion_entry = {
	.name = "__completion",
	.usage = "bash|zsh|fish",
	.summary = "the shell completion script (the build installs it)",
	.min_args = 1,
	.max_args = 1,
	.exec = completion_exec,
	.hidden = true,
};

const struct cmd_entry cmd_man_entry = {
	.name = "__man",
	.usage = "[COMMAND]",
	.summary = "the man page of tollgate, or of a command, as roff (the build installs them)",
	.min_args = 0,
	.max_args = 1,
	.exec = man_exec,
	.hidden = true,
};
