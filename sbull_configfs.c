// SPDX-License-Identifier: GPL-2.0
/*
 * Disks made and removed at run time, in null_blk's way:
 *
 *   mkdir /sys/kernel/config/sbull/NAME     settings from the module parameters
 *   echo 1G > .../NAME/size                 any setting, while powered off
 *   echo 1 > .../NAME/power                 makes the disk; disk_name says which
 *   echo 0 > .../NAME/power                 removes it (EBUSY while it is open)
 *   rmdir .../NAME                          (EBUSY while powered)
 *
 * badblocks, completion_nsec and mbps (sbull_inject.c) change at any time:
 * the disk keeps its data while it fails or slows down on demand.
 *
 * A powered directory depends on itself (configfs_depend_item_unlocked()),
 * so that configfs refuses its rmdir: a disk is removed only by power=0,
 * which can refuse. configfs holds the module while a directory exists.
 *
 * Locking: sbull_configfs_lock covers every directory's settings and disk.
 * It is taken in configfs's attribute methods, process context, before
 * anything of the disk's (its open_mutex, in sbull_disk_remove()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sbull.h"
#include "sbull_cache.h"
#include "sbull_inject.h"

/**
 * struct sbull_node - a directory of /sys/kernel/config/sbull
 * @item: its configfs item
 * @cfg: the settings of its disk
 * @dev: the disk, while powered; else NULL
 * @inject: what is injected into its I/O, powered or not
 */
struct sbull_node {
	struct config_item item;
	struct sbull_config cfg;
	struct sbull_dev *dev;
	struct sbull_inject inject;
};

static DEFINE_MUTEX(sbull_configfs_lock);
static struct configfs_subsystem sbull_subsys;
/* A new directory's settings: the module parameters' (sbull_main.c). */
static const struct sbull_config *sbull_configfs_defaults;

static struct sbull_node *to_sbull_node(struct config_item *item)
{
	return container_of(item, struct sbull_node, item);
}

/* "configfs NAME/": what the error lines start with. */
static void sbull_node_where(struct config_item *item, char *where,
			     size_t len)
{
	snprintf(where, len, "configfs %s/", config_item_name(item));
}

/* ---- the settings: one pair of show and set functions each ------------ */

static ssize_t sbull_show_size(const struct sbull_config *cfg, char *page)
{
	return sprintf(page, "%llu\n", cfg->size);
}

static int sbull_set_size(struct sbull_config *cfg, const char *where,
			  const char *val)
{
	char *end;
	u64 n = memparse(val, &end);

	if (*end || !n) {
		pr_err("%ssize=%s: accepted values are bytes, or a number with K, M, G or T (1G)\n",
		       where, val);
		return -EINVAL;
	}
	cfg->size = n;
	return 0;
}

static ssize_t sbull_show_hardsect_size(const struct sbull_config *cfg,
					char *page)
{
	return sprintf(page, "%u\n", cfg->hardsect_size);
}

static int sbull_set_hardsect_size(struct sbull_config *cfg,
				   const char *where, const char *val)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n))
		n = 0;
	if (sbull_check_hardsect_size(where, n))
		return -EINVAL;
	cfg->hardsect_size = n;
	return 0;
}

static ssize_t sbull_show_request_mode(const struct sbull_config *cfg,
				       char *page)
{
	return sprintf(page, "%s\n", sbull_mode_names[cfg->mode]);
}

static int sbull_set_request_mode(struct sbull_config *cfg,
				  const char *where, const char *val)
{
	return sbull_check_mode(where, val, &cfg->mode);
}

static ssize_t sbull_show_nr_hw_queues(const struct sbull_config *cfg,
				       char *page)
{
	return sprintf(page, "%u\n", cfg->nr_hw_queues);
}

static int sbull_set_nr_hw_queues(struct sbull_config *cfg,
				  const char *where, const char *val)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n))
		n = UINT_MAX;
	if (sbull_check_nr_hw_queues(where, n))
		return -EINVAL;
	cfg->nr_hw_queues = n;
	return 0;
}

static ssize_t sbull_show_queue_depth(const struct sbull_config *cfg,
				      char *page)
{
	return sprintf(page, "%u\n", cfg->queue_depth);
}

static int sbull_set_queue_depth(struct sbull_config *cfg,
				 const char *where, const char *val)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n))
		n = 0;
	if (sbull_check_queue_depth(where, n))
		return -EINVAL;
	cfg->queue_depth = n;
	return 0;
}

static ssize_t sbull_show_poll_queues(const struct sbull_config *cfg,
				      char *page)
{
	return sprintf(page, "%u\n", cfg->poll_queues);
}

static int sbull_set_poll_queues(struct sbull_config *cfg,
				 const char *where, const char *val)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n))
		n = UINT_MAX;
	if (sbull_check_poll_queues(where, n))
		return -EINVAL;
	cfg->poll_queues = n;
	return 0;
}

static ssize_t sbull_show_cache_kb(const struct sbull_config *cfg, char *page)
{
	return sprintf(page, "%u\n", cfg->cache_kb);
}

static int sbull_set_cache_kb(struct sbull_config *cfg, const char *where,
			      const char *val)
{
	unsigned int n;

	if (kstrtouint(val, 10, &n))
		n = UINT_MAX;
	if (sbull_check_cache_kb(where, n, NULL))
		return -EINVAL;
	cfg->cache_kb = n;
	return 0;
}

static int sbull_set_bool(bool *b, const char *where, const char *name,
			  const char *val)
{
	if (!kstrtobool(val, b))
		return 0;
	pr_err("%s%s=%s: accepted values are 1 and 0\n", where, name, val);
	return -EINVAL;
}

static ssize_t sbull_show_read_only(const struct sbull_config *cfg,
				    char *page)
{
	return sprintf(page, "%d\n", cfg->read_only);
}

static int sbull_set_read_only(struct sbull_config *cfg, const char *where,
			       const char *val)
{
	return sbull_set_bool(&cfg->read_only, where, "read_only", val);
}

static ssize_t sbull_show_legs_init(const struct sbull_config *cfg,
				    char *page)
{
	return sprintf(page, "%d\n", cfg->legs_init);
}

static int sbull_set_legs_init(struct sbull_config *cfg, const char *where,
			       const char *val)
{
	return sbull_set_bool(&cfg->legs_init, where, "legs_init", val);
}

static ssize_t sbull_show_legs(const struct sbull_config *cfg, char *page)
{
	return sprintf(page, "%s\n", cfg->legs ?: "");
}

/* DEV[:START], comma-separated, at most SBULL_MAX_LEGS; "" for none. */
static bool sbull_configfs_legs_valid(const char *val)
{
	unsigned int n = 1;
	const char *p;

	for (p = val; *p; p++) {
		if (*p != ',')
			continue;
		if (p == val || !p[1] || p[1] == ',' || ++n > SBULL_MAX_LEGS)
			return false;
	}
	return true;
}

static int sbull_set_legs(struct sbull_config *cfg, const char *where,
			  const char *val)
{
	char *legs = NULL;

	if (!sbull_configfs_legs_valid(val)) {
		pr_err("%slegs=%s: accepted values are DEV[:START], at most %d comma-separated, or nothing\n",
		       where, val, SBULL_MAX_LEGS);
		return -EINVAL;
	}
	if (*val) {
		legs = kstrdup(val, GFP_KERNEL);
		if (!legs)
			return -ENOMEM;
	}
	kfree(cfg->legs);
	cfg->legs = legs;
	return 0;
}

/*
 * A setting's configfs methods: show it, or set it while the disk is not
 * powered, from the value with its newline stripped.
 */
static ssize_t sbull_node_show(struct config_item *item, char *page,
			       ssize_t (*show)(const struct sbull_config *cfg,
					       char *page))
{
	ssize_t ret;

	mutex_lock(&sbull_configfs_lock);
	ret = show(&to_sbull_node(item)->cfg, page);
	mutex_unlock(&sbull_configfs_lock);
	return ret;
}

static ssize_t sbull_node_store(struct config_item *item, const char *page,
				size_t count, const char *name,
				int (*set)(struct sbull_config *cfg,
					   const char *where, const char *val))
{
	struct sbull_node *node = to_sbull_node(item);
	char where[CONFIGFS_ITEM_NAME_LEN + 16];
	char *val = kstrndup(page, count, GFP_KERNEL);
	int err;

	if (!val)
		return -ENOMEM;
	sbull_node_where(item, where, sizeof(where));
	mutex_lock(&sbull_configfs_lock);
	if (node->dev) {
		pr_err("%s%s: cannot change while %s exists; accepted: power=0 first\n",
		       where, name, node->dev->disk->disk_name);
		err = -EBUSY;
	} else {
		err = set(&node->cfg, where, strim(val));
	}
	mutex_unlock(&sbull_configfs_lock);
	kfree(val);
	return err ?: count;
}

#define SBULL_SETTING(_name)						\
static ssize_t sbull_node_##_name##_show(struct config_item *item,	\
					 char *page)			\
{									\
	return sbull_node_show(item, page, sbull_show_##_name);	\
}									\
static ssize_t sbull_node_##_name##_store(struct config_item *item,	\
					  const char *page,		\
					  size_t count)			\
{									\
	return sbull_node_store(item, page, count, #_name,		\
				sbull_set_##_name);			\
}									\
CONFIGFS_ATTR(sbull_node_, _name)

SBULL_SETTING(size);
SBULL_SETTING(hardsect_size);
SBULL_SETTING(request_mode);
SBULL_SETTING(nr_hw_queues);
SBULL_SETTING(queue_depth);
SBULL_SETTING(poll_queues);
SBULL_SETTING(cache_kb);
SBULL_SETTING(read_only);
SBULL_SETTING(legs);
SBULL_SETTING(legs_init);

/* ---- injection: at any time ------------------------------------------- */

static ssize_t sbull_node_badblocks_show(struct config_item *item,
					 char *page)
{
	return sbull_inject_show_badblocks(&to_sbull_node(item)->inject, page);
}

static ssize_t sbull_node_badblocks_store(struct config_item *item,
					  const char *page, size_t count)
{
	char where[CONFIGFS_ITEM_NAME_LEN + 16];
	char *val = kstrndup(page, count, GFP_KERNEL);
	int err;

	if (!val)
		return -ENOMEM;
	sbull_node_where(item, where, sizeof(where));
	err = sbull_inject_set_badblocks(&to_sbull_node(item)->inject, where,
					 strim(val));
	kfree(val);
	return err ?: count;
}

CONFIGFS_ATTR(sbull_node_, badblocks);

/* A number from 0 to @max for an injection setting; one line if not. */
static int sbull_parse_u64(struct config_item *item, const char *name,
			   const char *page, u64 max, u64 *n)
{
	char where[CONFIGFS_ITEM_NAME_LEN + 16];

	if (!kstrtou64(page, 10, n) && *n <= max)
		return 0;
	sbull_node_where(item, where, sizeof(where));
	pr_err("%s%s=%.*s: accepted values are 0 (none) to %llu\n", where,
	       name, (int)strcspn(page, "\n"), page, max);
	return -EINVAL;
}

static ssize_t sbull_node_completion_nsec_show(struct config_item *item,
					       char *page)
{
	return sprintf(page, "%llu\n",
		       READ_ONCE(to_sbull_node(item)->inject.completion_nsec));
}

static ssize_t sbull_node_completion_nsec_store(struct config_item *item,
						const char *page,
						size_t count)
{
	u64 n;
	int err = sbull_parse_u64(item, "completion_nsec", page,
				  SBULL_MAX_COMPLETION_NSEC, &n);

	if (!err)
		WRITE_ONCE(to_sbull_node(item)->inject.completion_nsec, n);
	return err ?: count;
}

CONFIGFS_ATTR(sbull_node_, completion_nsec);

static ssize_t sbull_node_mbps_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", READ_ONCE(to_sbull_node(item)->inject.mbps));
}

static ssize_t sbull_node_mbps_store(struct config_item *item,
				     const char *page, size_t count)
{
	u64 n;
	int err = sbull_parse_u64(item, "mbps", page, SBULL_MAX_MBPS, &n);

	if (!err)
		sbull_inject_set_mbps(&to_sbull_node(item)->inject, n);
	return err ?: count;
}

CONFIGFS_ATTR(sbull_node_, mbps);

/* ---- power and disk_name ---------------------------------------------- */

/*
 * What no single setting can check. The store must fit in the memory
 * available now and leave the system an eighth of its RAM: a disk made at
 * run time must not push others' allocations into the OOM killer.
 */
static int sbull_check_config(const struct sbull_config *cfg,
			      const char *where)
{
	u64 ram = (u64)totalram_pages() << PAGE_SHIFT;
	u64 avail = (u64)max(si_mem_available(), 0L) << PAGE_SHIFT;
	u64 room = avail > ram / 8 ? avail - ram / 8 : 0;

	if (cfg->size % cfg->hardsect_size || cfg->size > room) {
		pr_err("%ssize=%llu: accepted values are multiples of hardsect_size (%u) up to the memory available less an eighth of RAM, %llu bytes now\n",
		       where, cfg->size, cfg->hardsect_size, room);
		return -EINVAL;
	}
	if (cfg->poll_queues && cfg->mode == SBULL_RM_BIO) {
		pr_err("%spoll_queues=%u: accepted values are 0 with request_mode=bio, which has no hardware queue to poll\n",
		       where, cfg->poll_queues);
		return -EINVAL;
	}
	return 0;
}

static int sbull_node_power_on(struct sbull_node *node, const char *where)
{
	struct sbull_dev *dev;
	int err;

	lockdep_assert_held(&sbull_configfs_lock);
	err = sbull_check_config(&node->cfg, where);
	if (err)
		return err;
	/* Fails if an rmdir is under way: the directory is going. */
	err = configfs_depend_item_unlocked(&sbull_subsys, &node->item);
	if (err)
		return err;
	dev = sbull_disk_create(&node->cfg, where);
	if (IS_ERR(dev)) {
		configfs_undepend_item_unlocked(&node->item);
		return PTR_ERR(dev);
	}
	node->dev = dev;
	return 0;
}

static int sbull_node_power_off(struct sbull_node *node, const char *where)
{
	int err;

	lockdep_assert_held(&sbull_configfs_lock);
	err = sbull_disk_remove(node->dev);
	if (err) {
		pr_err("%spower=0: %s is open (mounted, or held by a program); accepted: power=0 once nobody holds it\n",
		       where, node->dev->disk->disk_name);
		return err;
	}
	node->dev = NULL;
	configfs_undepend_item_unlocked(&node->item);
	return 0;
}

static ssize_t sbull_node_power_show(struct config_item *item, char *page)
{
	struct sbull_node *node = to_sbull_node(item);
	ssize_t ret;

	mutex_lock(&sbull_configfs_lock);
	ret = sprintf(page, "%d\n", !!node->dev);
	mutex_unlock(&sbull_configfs_lock);
	return ret;
}

static ssize_t sbull_node_power_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct sbull_node *node = to_sbull_node(item);
	char where[CONFIGFS_ITEM_NAME_LEN + 16];
	char *val = kstrndup(page, count, GFP_KERNEL);
	bool on;
	int err;

	if (!val)
		return -ENOMEM;
	sbull_node_where(item, where, sizeof(where));
	err = sbull_set_bool(&on, where, "power", strim(val));
	kfree(val);
	if (err)
		return err;
	mutex_lock(&sbull_configfs_lock);
	if (on && !node->dev)
		err = sbull_node_power_on(node, where);
	else if (!on && node->dev)
		err = sbull_node_power_off(node, where);
	mutex_unlock(&sbull_configfs_lock);
	return err ?: count;
}

CONFIGFS_ATTR(sbull_node_, power);

static ssize_t sbull_node_disk_name_show(struct config_item *item,
					 char *page)
{
	struct sbull_node *node = to_sbull_node(item);
	ssize_t ret;

	mutex_lock(&sbull_configfs_lock);
	ret = sprintf(page, "%s\n", node->dev ? node->dev->disk->disk_name : "");
	mutex_unlock(&sbull_configfs_lock);
	return ret;
}

CONFIGFS_ATTR_RO(sbull_node_, disk_name);

static struct configfs_attribute *sbull_node_attrs[] = {
	&sbull_node_attr_size,
	&sbull_node_attr_hardsect_size,
	&sbull_node_attr_request_mode,
	&sbull_node_attr_nr_hw_queues,
	&sbull_node_attr_queue_depth,
	&sbull_node_attr_poll_queues,
	&sbull_node_attr_cache_kb,
	&sbull_node_attr_read_only,
	&sbull_node_attr_legs,
	&sbull_node_attr_legs_init,
	&sbull_node_attr_badblocks,
	&sbull_node_attr_completion_nsec,
	&sbull_node_attr_mbps,
	&sbull_node_attr_power,
	&sbull_node_attr_disk_name,
	NULL,
};

/* ---- the directories -------------------------------------------------- */

/* The last reference is gone: the directory was removed, unpowered. */
static void sbull_node_release(struct config_item *item)
{
	struct sbull_node *node = to_sbull_node(item);

	kfree(node->cfg.legs);
	sbull_inject_free(&node->inject);
	kfree(node);
}

/* Not const: the pointers to these are not const before 7.x. */
static struct configfs_item_operations sbull_node_ops = {
	.release	= sbull_node_release,
};

static const struct config_item_type sbull_node_type = {
	.ct_item_ops	= &sbull_node_ops,
	.ct_attrs	= sbull_node_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct config_item *sbull_make_node(struct config_group *group,
					   const char *name)
{
	struct sbull_node *node = kzalloc(sizeof(*node), GFP_KERNEL);

	if (!node)
		return ERR_PTR(-ENOMEM);
	/* Its legs stay NULL: the legs parameter names disks. */
	node->cfg = *sbull_configfs_defaults;
	node->cfg.legs = NULL;
	sbull_inject_init(&node->inject);
	node->cfg.inject = &node->inject;
	config_item_init_type_name(&node->item, name, &sbull_node_type);
	return &node->item;
}

static struct configfs_group_operations sbull_subsys_ops = {
	.make_item	= sbull_make_node,
};

static const struct config_item_type sbull_subsys_type = {
	.ct_group_ops	= &sbull_subsys_ops,
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem sbull_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "sbull",
			.ci_type	= &sbull_subsys_type,
		},
	},
};

/**
 * sbull_configfs_init - show /sys/kernel/config/sbull
 * @defaults: a new directory's settings, which the caller keeps while
 *	configfs is registered
 *
 * Return: 0, or a negative errno.
 */
int sbull_configfs_init(const struct sbull_config *defaults)
{
	sbull_configfs_defaults = defaults;
	config_group_init(&sbull_subsys.su_group);
	mutex_init(&sbull_subsys.su_mutex);
	return configfs_register_subsystem(&sbull_subsys);
}

/**
 * sbull_configfs_exit - undo sbull_configfs_init(); no directory is left
 */
void sbull_configfs_exit(void)
{
	configfs_unregister_subsystem(&sbull_subsys);
}
