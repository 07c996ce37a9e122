/*
 * The real kernel's side of the munmap figure (our own helper): populate N pages of anonymous
 * memory with MAP_POPULATE, then time munmap of all of them. Prints the CPU time (user + system)
 * of the munmap in seconds, then its wall time: on a shared machine CPU time is what load does
 * not inflate.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double clk(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
	size_t pages = argc > 1 ? strtoull(argv[1], NULL, 10) : 1048576;
	size_t len = pages * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) { perror("mmap"); return 1; }
	double c0 = clk(CLOCK_PROCESS_CPUTIME_ID), w0 = clk(CLOCK_MONOTONIC);
	if (munmap(p, len)) { perror("munmap"); return 1; }
	printf("%.9f %.9f\n", clk(CLOCK_PROCESS_CPUTIME_ID) - c0, clk(CLOCK_MONOTONIC) - w0);
	return 0;
}
