/*
 * pg-floor.c URL - the least any command on a PostgreSQL store costs here:
 * a process that loads libpq, connects, runs SELECT 1 and exits
 * (bench-state.sh times it beside tollgate's commands).
 */
#include <libpq-fe.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	PGconn *c;
	PGresult *r;
	int ok;

	if (argc != 2) {
		fprintf(stderr, "usage: pg-floor URL\n");
		return 2;
	}
	c = PQconnectdb(argv[1]);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "pg-floor: %s", PQerrorMessage(c));
		PQfinish(c);
		return 1;
	}
	r = PQexec(c, "SELECT 1");
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	PQfinish(c);
	return ok ? 0 : 1;
}
