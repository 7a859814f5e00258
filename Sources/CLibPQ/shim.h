// libpq (Debian: libpq-dev); the header lives in /usr/include/postgresql, found through pkg-config.
#include <libpq-fe.h>
