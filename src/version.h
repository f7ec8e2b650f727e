/* version.h - the release of dieuhanh. */
#ifndef DH_VERSION_H
#define DH_VERSION_H
#define DH_VERSION "0.1.0"
#endif
