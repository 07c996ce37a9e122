/*
 * The real kernel's side of the shootdown figure (our own helper): a thread pinned to CPU 0 maps
 * 8 anonymous pages, writes each and munmaps them, ITER times, while a second thread of the
 * process spins in user mode pinned to CPU 1, so every munmap must shoot down CPU 1's TLB (one
 * IPI per iteration while the spinner is on its CPU). Prints the looping thread's CPU time per
 * iteration in seconds, its wall time per iteration, and the TLB shootdowns CPU 1 received per
 * iteration (the "TLB" line of /proc/interrupts; -1 where it cannot be read).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static volatile int stop;

static double clk(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pin(int cpu) {
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *spin(void *arg) {
	(void)arg;
	pin(1);
	while (!stop) __asm__ volatile("" ::: "memory");
	return NULL;
}

/* TLB shootdowns received by CPU 1 so far (x86 /proc/interrupts "TLB:" row), or -1 */
static long tlb_cpu1(void) {
	FILE *f = fopen("/proc/interrupts", "r");
	char line[8192];
	long n = -1;
	if (!f) return -1;
	while (fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ') p++;
		if (strncmp(p, "TLB:", 4)) continue;
		long a, b;
		if (sscanf(p + 4, "%ld %ld", &a, &b) == 2) n = b;
	}
	fclose(f);
	return n;
}

int main(int argc, char **argv) {
	long iter = argc > 1 ? atol(argv[1]) : 100000;
	const size_t len = 8 * 4096;
	pthread_t t;
	pin(0);
	if (pthread_create(&t, NULL, spin, NULL)) { perror("pthread_create"); return 1; }
	struct timespec ms = { 0, 20 * 1000 * 1000 };
	nanosleep(&ms, NULL); /* let the spinner reach CPU 1 */
	long i0 = tlb_cpu1();
	double c0 = clk(CLOCK_THREAD_CPUTIME_ID), w0 = clk(CLOCK_MONOTONIC);
	for (long i = 0; i < iter; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) { perror("mmap"); return 1; }
		for (size_t o = 0; o < len; o += 4096) p[o] = 1;
		if (munmap(p, len)) { perror("munmap"); return 1; }
	}
	double c = clk(CLOCK_THREAD_CPUTIME_ID) - c0, w = clk(CLOCK_MONOTONIC) - w0;
	long i1 = tlb_cpu1();
	stop = 1;
	pthread_join(t, NULL);
	printf("%.12f %.12f %.4f\n", c / iter, w / iter, i0 < 0 || i1 < 0 ? -1.0 : (double)(i1 - i0) / iter);
	return 0;
}
