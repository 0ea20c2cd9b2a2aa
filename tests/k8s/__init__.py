"""Offline checks of the Kubernetes manifests under examples/production/k8s."""
