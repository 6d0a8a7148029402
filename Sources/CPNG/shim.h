// The one header of the CPNG module: libpng 1.6 (from libpng-dev; pkg-config libpng).
#include <png.h>
