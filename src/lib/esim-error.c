/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error quarks of the core library (ESIM_DER_ERROR lives in esim-der.c). */

#define G_LOG_DOMAIN "esim"

#include "esim-error.h"

G_DEFINE_QUARK (esim-apdu-error-quark, esim_apdu_error)
G_DEFINE_QUARK (esim-es10-error-quark, esim_es10_error)
