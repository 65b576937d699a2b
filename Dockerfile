# syntax=docker/dockerfile:1
# Build: docker build -t incidentbot:dev --build-arg VERSION=$(git describe --tags --always) .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/incidentbot ./cmd/incidentbot

# distroless/static: CA certificates and tzdata, no shell; nonroot is UID 65532.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
LABEL org.opencontainers.image.title="incidentbot" \
      org.opencontainers.image.description="Security incident response in Slack, run yourself" \
      org.opencontainers.image.source="https://github.com/incidentbot/incidentbot" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/incidentbot /usr/local/bin/incidentbot
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/incidentbot"]
