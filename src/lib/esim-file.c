/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading, resolving and replacing the files esimd is given (see esim-file.h). */

#define G_LOG_DOMAIN "esim"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esim-file.h"

/* as the kernel's MAXSYMLINKS */
#define RESOLVE_MAX_LINKS 40
#define TEMPORARY_INFIX ".esimd-"
#define TEMPORARY_RANDOM_LEN 6
#define TEMPORARY_ATTEMPTS 100

static const gchar temporary_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static gboolean
set_errno_error (GError **error, gint saved_errno, const gchar *what)
{
	g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", what,
	             g_strerror (saved_errno));
	return FALSE;
}

static const gchar *
describe_file_type (mode_t mode)
{
	if (S_ISDIR (mode))
		return "a directory";
	if (S_ISFIFO (mode))
		return "a FIFO";
	if (S_ISCHR (mode))
		return "a character device";
	if (S_ISBLK (mode))
		return "a block device";
	if (S_ISSOCK (mode))
		return "a socket";
	if (S_ISLNK (mode))
		return "a symbolic link";
	return "a special file";
}

gboolean
esim_file_id_equal (const EsimFileId *a, const EsimFileId *b)
{
	g_return_val_if_fail (a != NULL && b != NULL, FALSE);
	return a->device == b->device && a->inode == b->inode;
}

static void
file_id_from_stat (EsimFileId *id, const struct stat *st)
{
	if (id == NULL)
		return;
	id->device = (guint64) st->st_dev;
	id->inode = (guint64) st->st_ino;
}

/* ---- resolving ---- */

/* @path with its directory made real: only its last component may still be a link. */
static gchar *
resolve_directory (const gchar *path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname (path);
	g_autofree gchar *base = g_path_get_basename (path);
	g_autofree gchar *real_dir = NULL;

	/* "x/.." or "/" name a directory: resolve it whole (reading it refuses it later) */
	if (g_strcmp0 (base, ".") == 0 || g_strcmp0 (base, "..") == 0 ||
	    g_strcmp0 (base, G_DIR_SEPARATOR_S) == 0) {
		g_free (dir);
		dir = g_strdup (path);
		g_clear_pointer (&base, g_free);
	}
	real_dir = realpath (dir, NULL);
	if (real_dir == NULL) {
		gint saved_errno = errno;
		g_autofree gchar *what = g_strdup_printf ("cannot resolve its directory %s", dir);
		set_errno_error (error, saved_errno, what);
		return NULL;
	}
	if (base == NULL)
		return g_steal_pointer (&real_dir);
	return g_build_filename (real_dir, base, NULL);
}

gchar *
esim_file_resolve (const gchar *path, GError **error)
{
	g_autofree gchar *current = NULL;

	g_return_val_if_fail (path != NULL, NULL);

	if (path[0] == '\0') {
		g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "empty path");
		return NULL;
	}
	current = g_strdup (path);
	for (guint hops = 0;; hops++) {
		g_autofree gchar *resolved = resolve_directory (current, error);
		g_autofree gchar *target = NULL;
		g_autoptr(GError) link_error = NULL;
		struct stat st;

		if (resolved == NULL)
			return NULL;
		g_free (current);
		current = g_steal_pointer (&resolved);
		if (lstat (current, &st) != 0) {
			/* a file to be created (a dangling link's target as well) */
			if (errno == ENOENT)
				return g_steal_pointer (&current);
			set_errno_error (error, errno, "cannot look at it");
			return NULL;
		}
		if (!S_ISLNK (st.st_mode))
			return g_steal_pointer (&current);
		if (hops == RESOLVE_MAX_LINKS) {
			g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
			                     "too many levels of symbolic links");
			return NULL;
		}
		target = g_file_read_link (current, &link_error);
		if (target == NULL) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read the link %s: %s",
			             current, link_error->message);
			return NULL;
		}
		if (!g_path_is_absolute (target)) {
			/* relative to the link's own (already real) directory */
			g_autofree gchar *dir = g_path_get_dirname (current);
			g_free (current);
			current = g_build_filename (dir, target, NULL);
		} else {
			g_free (current);
			current = g_steal_pointer (&target);
		}
	}
}

/* ---- reading ---- */

/* Why open() refused @path, in words that name the kind of file where it helps. */
static gboolean
set_open_error (GError **error, const gchar *path, gint saved_errno, gboolean no_follow)
{
	struct stat st;

	/* O_NOFOLLOW on a link answers ELOOP; a socket or a device without a driver ENXIO */
	if (saved_errno == ELOOP || saved_errno == ENXIO) {
		gint looked = no_follow ? lstat (path, &st) : stat (path, &st);
		if (looked == 0 && !S_ISREG (st.st_mode)) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
			             "not a regular file but %s", describe_file_type (st.st_mode));
			return FALSE;
		}
	}
	return set_errno_error (error, saved_errno, "cannot open it");
}

/* Reads all of @fd, but never more than @max_size bytes (+1 to notice more). */
static gboolean
read_bounded (gint fd, gsize size_hint, gsize max_size, gchar **contents, gsize *length,
              GError **error)
{
	gsize capacity = MIN (size_hint, max_size) + 1;
	g_autofree gchar *buf = g_malloc (capacity + 1);
	gsize len = 0;

	for (;;) {
		gssize n;

		if (len == capacity) {
			if (capacity > max_size)
				break;
			capacity = MIN (capacity * 2, max_size + 1);
			buf = g_realloc (buf, capacity + 1);
		}
		n = read (fd, buf + len, capacity - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return set_errno_error (error, errno, "cannot read it");
		if (n == 0)
			break;
		len += (gsize) n;
	}
	/* the file grew after fstat() */
	if (len > max_size) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
		             "larger than %" G_GSIZE_FORMAT " bytes", max_size);
		return FALSE;
	}
	buf[len] = '\0';
	*contents = g_steal_pointer (&buf);
	*length = len;
	return TRUE;
}

gboolean
esim_file_read_regular (const gchar *path, gsize max_size, gboolean no_follow, gchar **contents,
                        gsize *length, EsimFileId *id, guint *n_links, GError **error)
{
	/* O_NONBLOCK: opening a FIFO without a writer would wait for one forever */
	gint flags = O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | (no_follow ? O_NOFOLLOW : 0);
	struct stat st;
	gboolean ok;
	gint fd;

	g_return_val_if_fail (path != NULL, FALSE);
	g_return_val_if_fail (contents != NULL && length != NULL, FALSE);

	fd = open (path, flags);
	if (fd < 0)
		return set_open_error (error, path, errno, no_follow);
	/* what was opened, not what the path names now */
	if (fstat (fd, &st) != 0) {
		set_errno_error (error, errno, "cannot look at it");
		close (fd);
		return FALSE;
	}
	if (!S_ISREG (st.st_mode)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
		             "not a regular file but %s", describe_file_type (st.st_mode));
		close (fd);
		return FALSE;
	}
	if ((guint64) st.st_size > max_size) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
		             "larger than %" G_GSIZE_FORMAT " bytes", max_size);
		close (fd);
		return FALSE;
	}
	ok = read_bounded (fd, (gsize) st.st_size, max_size, contents, length, error);
	close (fd);
	if (ok) {
		file_id_from_stat (id, &st);
		if (n_links != NULL)
			*n_links = (guint) st.st_nlink;
	}
	return ok;
}

/* ---- replacing ---- */

static gchar *
temporary_name (const gchar *path)
{
	GString *name = g_string_new (path);

	g_string_append (name, TEMPORARY_INFIX);
	for (guint i = 0; i < TEMPORARY_RANDOM_LEN; i++)
		g_string_append_c (name, temporary_chars[g_random_int_range (0, sizeof (temporary_chars) - 1)]);
	return g_string_free (name, FALSE);
}

static gboolean
write_and_sync (gint fd, const gchar *data, gsize len, GError **error)
{
	while (len > 0) {
		gssize n = write (fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return set_errno_error (error, errno, "cannot write it");
		data += n;
		len -= (gsize) n;
	}
	/* durable before it takes the place of the old file */
	if (fsync (fd) != 0)
		return set_errno_error (error, errno, "cannot sync it");
	return TRUE;
}

#ifdef O_TMPFILE
/* Writes @data to an unnamed file in @dir and gives it a temporary name next to
 * @path; -1 (and the file gone) when the file system or /proc cannot do that. */
static gint
replace_via_unnamed (const gchar *dir, const gchar *path, const gchar *data, gsize len,
                     gchar **tmp_out)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *proc_path = NULL;
	gint fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	gint saved_errno = EEXIST;

	if (fd < 0)
		return -1;
	if (!write_and_sync (fd, data, len, &error)) {
		g_debug ("unnamed temporary in %s: %s", dir, error->message);
		close (fd);
		return -1;
	}
	/* unprivileged linkat() of an O_TMPFILE descriptor goes through /proc */
	proc_path = g_strdup_printf ("/proc/self/fd/%d", fd);
	for (guint i = 0; i < TEMPORARY_ATTEMPTS; i++) {
		g_autofree gchar *tmp = temporary_name (path);
		if (linkat (AT_FDCWD, proc_path, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			*tmp_out = g_steal_pointer (&tmp);
			return fd;
		}
		saved_errno = errno;
		if (saved_errno != EEXIST)
			break;
	}
	g_debug ("cannot name an unnamed temporary in %s: %s", dir, g_strerror (saved_errno));
	close (fd);
	return -1;
}
#endif

static gint
replace_via_named (const gchar *path, const gchar *data, gsize len, gchar **tmp_out,
                   GError **error)
{
	g_autofree gchar *tmp = g_strconcat (path, TEMPORARY_INFIX "XXXXXX", NULL);
	gint fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);

	if (fd < 0) {
		set_errno_error (error, errno, "cannot create a temporary file");
		return -1;
	}
	if (!write_and_sync (fd, data, len, error)) {
		g_unlink (tmp);
		close (fd);
		return -1;
	}
	*tmp_out = g_steal_pointer (&tmp);
	return fd;
}

/* fsync() of the directory makes the rename itself durable; not every file system can */
static void
sync_directory (const gchar *dir)
{
	gint fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fsync (fd) != 0)
		g_debug ("cannot sync the directory %s: %s", dir, g_strerror (errno));
	close (fd);
}

gboolean
esim_file_replace (const gchar *path, const gchar *data, gsize len, EsimFileId *id,
                   GError **error)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *tmp = NULL;
	struct stat st;
	gint fd = -1;

	g_return_val_if_fail (path != NULL, FALSE);
	g_return_val_if_fail (data != NULL || len == 0, FALSE);

	dir = g_path_get_dirname (path);
#ifdef O_TMPFILE
	fd = replace_via_unnamed (dir, path, data, len, &tmp);
#endif
	if (fd < 0)
		fd = replace_via_named (path, data, len, &tmp, error);
	if (fd < 0)
		return FALSE;
	/* close() reports the write errors some file systems defer to it */
	if (fstat (fd, &st) != 0) {
		set_errno_error (error, errno, "cannot look at the new file");
		close (fd);
		g_unlink (tmp);
		return FALSE;
	}
	if (close (fd) != 0) {
		set_errno_error (error, errno, "cannot write it");
		g_unlink (tmp);
		return FALSE;
	}
	if (g_rename (tmp, path) != 0) {
		set_errno_error (error, errno, "cannot move the new file into place");
		g_unlink (tmp);
		return FALSE;
	}
	sync_directory (dir);
	file_id_from_stat (id, &st);
	return TRUE;
}

guint
esim_file_remove_temporaries (const gchar *path)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *base = NULL;
	g_autofree gchar *prefix = NULL;
	g_autoptr(GDir) listing = NULL;
	const gchar *name;
	gsize prefix_len;
	guint removed = 0;

	g_return_val_if_fail (path != NULL, 0);

	dir = g_path_get_dirname (path);
	listing = g_dir_open (dir, 0, NULL);
	if (listing == NULL)
		return 0;
	base = g_path_get_basename (path);
	prefix = g_strconcat (base, TEMPORARY_INFIX, NULL);
	prefix_len = strlen (prefix);
	while ((name = g_dir_read_name (listing)) != NULL) {
		g_autofree gchar *full = NULL;
		struct stat st;

		if (!g_str_has_prefix (name, prefix) ||
		    strlen (name) != prefix_len + TEMPORARY_RANDOM_LEN ||
		    strspn (name + prefix_len, temporary_chars) != TEMPORARY_RANDOM_LEN)
			continue;
		full = g_build_filename (dir, name, NULL);
		if (lstat (full, &st) != 0 || !S_ISREG (st.st_mode) || st.st_uid != geteuid ())
			continue;
		if (g_unlink (full) == 0)
			removed++;
		else
			g_debug ("cannot remove %s: %s", full, g_strerror (errno));
	}
	return removed;
}
