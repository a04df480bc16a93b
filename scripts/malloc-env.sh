# malloc-env.sh — sourced by test.sh and run-notebooks.sh: lets glibc's malloc
# use transparent huge pages, as the nqsnn command does for itself (see
# snnlib/backend/malloc.go: XLA's per-call buffers otherwise fault in and zero
# every 4 KiB page again at every call). A user's own GLIBC_TUNABLES, or
# NQSNN_MALLOC=default, is left alone.
if [[ -z ${GLIBC_TUNABLES:-} && ${NQSNN_MALLOC:-} != default ]] &&
  grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
  export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
fi
