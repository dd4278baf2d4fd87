# scripts/dev.sh fills in the local apiserver's URL and CA; on a real cluster use
# https://kubernetes.default.svc and the cluster CA (or omit caBundle in-cluster).
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: source-namespace
  namespace: syncret-demo
spec:
  provider:
    kubernetes:
      remoteNamespace: syncret-source
      server:
        url: ${APISERVER_URL}
        caBundle: ${APISERVER_CA_B64}
      auth:
        serviceAccount:
          name: reader
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: shared-config
  namespace: syncret-demo
spec:
  refreshInterval: 5m
  secretStoreRef:
    name: source-namespace
  target:
    name: shared-config
  data:
    - secretKey: token
      remoteRef:
        key: shared-config
        property: token
  dataFrom:
    - extract:
        key: shared-config
