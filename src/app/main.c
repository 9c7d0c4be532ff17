/* Temporary entry point while the commands are written. */
#include <stdio.h>
int main(void) { return 0; }
