/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS trust of an eUICC's connections to SM-DP+ servers (ES9+: downloads
 * and notifications), as esimd is configured: the GSMA CIs esimd knows
 * (esim-ci-store.h) — the package's (ESIM_CI_STORE_PACKAGE_DIR), the
 * administrator's (ESIM_CI_STORE_ADMIN_DIR) and, only when the configuration
 * names it, a directory of test CIs ([download] TestCiDirectory) — of which
 * an eUICC trusts those it lists, plus the system trust store.
 */
#pragma once

#include <gio/gio.h>

#include "esim-ci-store.h"
#include "esimd-config.h"

G_BEGIN_DECLS

/* The CIs esimd knows, read now; a directory that cannot be read is logged
 * and skipped. */
EsimCiStore  *esimd_trust_new_ci_store (const EsimdConfig *config);
/* The system trust store; NULL when the TLS backend has none. */
GTlsDatabase *esimd_trust_dup_system_database (void);
/* The trust of one eUICC: the CIs of @ci_key_ids (EUICCInfo1
 * euiccCiPKIdListForVerification, hex) and the system store. */
GTlsDatabase *esimd_trust_new_database (const EsimdConfig *config, GPtrArray *ci_key_ids);

G_END_DECLS
