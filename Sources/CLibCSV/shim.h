// libcsv (Debian: libcsv-dev) ships no pkg-config file; csv.h is in the default include path.
#include <csv.h>
