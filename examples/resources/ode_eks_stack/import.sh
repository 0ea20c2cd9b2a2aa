# An EKS stack is imported by its cluster name. Its node groups, add-ons, access
# entries and service account roles are found through the cluster and their ode:*
# ownership tags, so only a stack that ode_eks_stack created can be imported. Every
# setting is read back, defaults included; a node group the cluster autoscaler owns
# says so (and the size the configuration gave it) in its ode:settings tag, so the
# plan after the import does not scale the autoscaler's nodes.
terraform import ode_eks_stack.this ode-production-cluster
