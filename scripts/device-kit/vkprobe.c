/* vkprobe: load libvulkan.so.1, create an instance, list physical devices. Set VK_LOADER_DEBUG=error,warn,driver for the loader's reasons. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
typedef void *(*GIPA)(void *, const char *);
typedef struct { int sType; const void *pNext; const char *app; uint32_t appv; const char *eng; uint32_t engv; uint32_t api; } AppInfo;
typedef struct { int sType; const void *pNext; uint32_t flags; const AppInfo *app; uint32_t nl; const char *const *l; uint32_t ne; const char *const *e; } InstInfo;
int main(void) {
  void *lib = dlopen("libvulkan.so.1", RTLD_NOW);
  if (!lib) { printf("dlopen libvulkan.so.1 failed: %s\n", dlerror()); return 2; }
  Dl_info di; GIPA gipa = (GIPA)dlsym(lib, "vkGetInstanceProcAddr");
  if (!gipa) { printf("no vkGetInstanceProcAddr\n"); return 2; }
  if (dladdr((void *)gipa, &di)) printf("loader: %s\n", di.dli_fname);
  int (*ver)(uint32_t *) = (int (*)(uint32_t *))gipa(NULL, "vkEnumerateInstanceVersion");
  uint32_t v = 0; if (ver) ver(&v);
  printf("instance version %u.%u.%u\n", v >> 22, (v >> 12) & 0x3ff, v & 0xfff);
  int (*create)(const InstInfo *, const void *, void **) = (int (*)(const InstInfo *, const void *, void **))gipa(NULL, "vkCreateInstance");
  AppInfo app = {0, NULL, "vkprobe", 1, "vkprobe", 1, (1u << 22) | (1u << 12)};
  InstInfo ci = {1, NULL, 0, &app, 0, NULL, 0, NULL};
  void *inst = NULL; int r = create(&ci, NULL, &inst);
  if (r != 0) { printf("vkCreateInstance failed: VkResult %d (-9 = VK_ERROR_INCOMPATIBLE_DRIVER: no usable ICD)\n", r); return 1; }
  int (*enumd)(void *, uint32_t *, void **) = (int (*)(void *, uint32_t *, void **))gipa(inst, "vkEnumeratePhysicalDevices");
  void (*props)(void *, void *) = (void (*)(void *, void *))gipa(inst, "vkGetPhysicalDeviceProperties");
  uint32_t n = 0; r = enumd(inst, &n, NULL);
  printf("vkEnumeratePhysicalDevices: VkResult %d, %u device(s)\n", r, n);
  void *devs[16]; if (n > 16) n = 16; enumd(inst, &n, devs);
  static const char *types[] = {"other", "integrated", "discrete", "virtual", "cpu"};
  for (uint32_t i = 0; i < n; i++) {
    unsigned char p[8192]; memset(p, 0, sizeof p); props(devs[i], p);
    uint32_t api, drv, vendor, dev, type; memcpy(&api, p, 4); memcpy(&drv, p + 4, 4); memcpy(&vendor, p + 8, 4); memcpy(&dev, p + 12, 4); memcpy(&type, p + 16, 4);
    printf("  [%u] %s vendor=0x%04x device=0x%04x type=%s api=%u.%u.%u driver=0x%08x\n", i, (char *)(p + 20), vendor, dev, type < 5 ? types[type] : "?", api >> 22, (api >> 12) & 0x3ff, api & 0xfff, drv);
  }
  return n > 0 ? 0 : 1;
}
