/* Library version (colstore.h). */
#include "engine/colstore.h"

int colstore_version_number(void)
{
    return COLSTORE_VERSION_NUMBER;
}

const char *colstore_version(void)
{
    return COLSTORE_VERSION_STRING;
}
