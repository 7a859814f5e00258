/* The reference for bench/extract.sh: a plain C loop over libcsv that counts fields and rows of a file,
 * reading 256 KiB chunks with the same parser options lastmile's CSVReader uses. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct counts { size_t fields, rows, bytes; };

static void on_field(void *s, size_t len, void *data) { struct counts *c = data; c->fields++; c->bytes += len; (void)s; }
static void on_row(int t, void *data) { ((struct counts *)data)->rows++; (void)t; }

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: csv_count FILE\n"); return 64; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 66; }
    struct csv_parser p;
    csv_init(&p, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL | CSV_REPALL_NL);
    static char buf[256 * 1024];
    struct counts c = {0, 0, 0};
    size_t n, total = 0;
    struct timespec t0, t1, c0, c1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        total += n;
        if (csv_parse(&p, buf, n, on_field, on_row, &c) != n) { fprintf(stderr, "%s\n", csv_strerror(csv_error(&p))); return 65; }
    }
    csv_fini(&p, on_field, on_row, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    csv_free(&p);
    fclose(f);
    double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* cpu_mb_s: bytes per CPU second of this process, steadier than wall time on a shared machine. */
    printf("c_cpu_mb_s=%.1f c_wall_mb_s=%.1f rows=%zu fields=%zu cpu_seconds=%.3f\n", total / cpu / 1e6, total / s / 1e6,
           c.rows, c.fields, cpu);
    return 0;
}
