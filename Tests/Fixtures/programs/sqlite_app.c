// Real software: Debian's libsqlite3.a. Creates a table, inserts rows in a transaction with a
// prepared statement and runs aggregate queries (GROUP BY, SUM, AVG, COUNT, a join, and a
// window function).
// LIBS: /usr/lib/x86_64-linux-gnu/libsqlite3.a -lm -lpthread -ldl
// EXPECT-EXIT: 0
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static int print_row(void *tag, int n, char **vals, char **cols) {
    printf("%s:", (const char *)tag);
    for (int i = 0; i < n; i++) printf(" %s=%s", cols[i], vals[i] ? vals[i] : "NULL");
    printf("\n");
    return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *tag) {
    char *err = NULL;
    if (sqlite3_exec(db, sql, tag ? print_row : NULL, (void *)tag, &err) != SQLITE_OK) {
        printf("error: %s\n", err);
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

int main(void) {
    sqlite3 *db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) { printf("open failed\n"); return 1; }
    printf("sqlite %s threadsafe=%d\n", sqlite3_libversion(), sqlite3_threadsafe());
    int rc = 0;
    rc |= exec(db, "CREATE TABLE sales(id INTEGER PRIMARY KEY, region TEXT, amount REAL, qty INT);"
                   "CREATE TABLE regions(name TEXT PRIMARY KEY, manager TEXT);"
                   "INSERT INTO regions VALUES('north','ann'),('south','bob'),('east','cy'),('west','di');", NULL);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO sales(region, amount, qty) VALUES(?, ?, ?)", -1, &st, NULL);
    const char *regions[] = {"north", "south", "east", "west"};
    exec(db, "BEGIN", NULL);
    for (int i = 0; i < 5000; i++) {
        sqlite3_bind_text(st, 1, regions[(i * 7) % 4], -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 2, (i % 97) * 1.25);
        sqlite3_bind_int(st, 3, i % 13);
        if (sqlite3_step(st) != SQLITE_DONE) { printf("insert failed\n"); return 1; }
        sqlite3_reset(st);
    }
    exec(db, "COMMIT", NULL);
    sqlite3_finalize(st);
    rc |= exec(db, "SELECT region, COUNT(*) AS n, printf('%.2f', SUM(amount)) AS total, printf('%.4f', AVG(amount)) AS avg, MAX(qty) AS maxq "
                   "FROM sales GROUP BY region ORDER BY region", "group");
    rc |= exec(db, "SELECT r.manager, COUNT(*) AS n FROM sales s JOIN regions r ON r.name = s.region "
                   "WHERE s.qty > 10 GROUP BY r.manager ORDER BY n DESC, r.manager", "join");
    rc |= exec(db, "SELECT id, amount, SUM(amount) OVER (ORDER BY id ROWS 2 PRECEDING) AS running "
                   "FROM sales WHERE id <= 5 ORDER BY id", "window");
    rc |= exec(db, "CREATE INDEX idx_region ON sales(region); SELECT COUNT(*) AS n FROM sales WHERE region = 'east' AND qty BETWEEN 3 AND 5", "index");
    rc |= exec(db, "SELECT sqlite_compileoption_used('THREADSAFE=1') AS ts, length(hex(randomblob(16))) AS hexlen, upper('weld') AS up", "misc");
    sqlite3_close(db);
    return rc;
}
