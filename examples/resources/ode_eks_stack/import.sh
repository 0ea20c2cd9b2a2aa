# An EKS stack is imported by its cluster name. Its node groups, add-ons, access
# entries and service account roles are found through the cluster and their ode:*
# ownership tags, so only a stack that ode_eks_stack created can be imported.
terraform import ode_eks_stack.this ode-production-cluster
