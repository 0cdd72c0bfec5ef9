/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-tls-database.h"
#include "esimd-trust.h"

static void
trust_add_directory (EsimCiStore *store, const gchar *dir, const gchar *what)
{
	g_autoptr(GError) error = NULL;
	guint added = 0;

	if (!esim_ci_store_add_directory (store, dir, &added, &error)) {
		g_warning ("%s", error->message);
		return;
	}
	g_debug ("%u CI certificate(s) from %s (%s)", added, dir, what);
}

EsimCiStore *
esimd_trust_new_ci_store (const EsimdConfig *config)
{
	EsimCiStore *store = esim_ci_store_new ();

	g_return_val_if_fail (config != NULL, store);

	trust_add_directory (store, ESIM_CI_STORE_PACKAGE_DIR, "shipped with esimd");
	trust_add_directory (store, ESIM_CI_STORE_ADMIN_DIR, "the administrator's");
	/* SGP.26 test CIs have public keys: only where the configuration says so */
	if (config->test_ci_dir != NULL)
		trust_add_directory (store, config->test_ci_dir, "test CIs, [download] TestCiDirectory");
	return store;
}

GTlsDatabase *
esimd_trust_dup_system_database (void)
{
	return g_tls_backend_get_default_database (g_tls_backend_get_default ());
}

GTlsDatabase *
esimd_trust_new_database (const EsimdConfig *config, GPtrArray *ci_key_ids)
{
	g_autoptr(EsimCiStore) store = esimd_trust_new_ci_store (config);
	g_autoptr(GTlsDatabase) system = esimd_trust_dup_system_database ();

	return esim_tls_database_new (store, ci_key_ids, system);
}
