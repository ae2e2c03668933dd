// Internal shim: exposes OpenBLAS's CBLAS interface to Swift. No stable API.
#include <cblas.h>
