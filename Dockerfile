# OpsConsole container image.
#   docker build -t opsconsole .
#   docker run -p 8080:8080 -v opsconsole-data:/data \
#     -e OpsConsole__Bootstrap__AdminEmail=admin@example.org \
#     -e OpsConsole__Bootstrap__AdminPassword='<at least 12 characters>' opsconsole

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build

# The web project's build runs `npm ci` in wwwroot-assets and copies ApexCharts into wwwroot/lib,
# so the build stage needs Node.js and npm from the distribution (the .NET 10 images are Ubuntu 24.04).
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Restore NuGet and npm packages in their own layer so source edits do not repeat the downloads.
# A project that OpsConsole.Web references must have its .csproj copied here too. npm skips the
# dev dependencies (the Dockerfile linter); the build's own `npm ci` normally finds node_modules current
# and is skipped (it reinstalls everything if the lock file looks newer, which is harmless).
COPY global.json Directory.Build.props Directory.Packages.props OpsConsole.sln ./
COPY src/OpsConsole.Web/OpsConsole.Web.csproj src/OpsConsole.Web/
COPY wwwroot-assets/package.json wwwroot-assets/package-lock.json wwwroot-assets/
RUN dotnet restore src/OpsConsole.Web/OpsConsole.Web.csproj \
    && cd wwwroot-assets \
    && npm ci --omit=dev --no-audit --no-fund --loglevel=error

COPY src/ src/
COPY wwwroot-assets/ wwwroot-assets/
RUN dotnet publish src/OpsConsole.Web/OpsConsole.Web.csproj -c Release -o /app --no-restore -p:UseAppHost=false


FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime

# The SQLite database, its WAL files and the data-protection key ring live in /data.
RUN mkdir -p /data \
    && chown "$APP_UID" /data

ENV ASPNETCORE_HTTP_PORTS=8080 \
    ConnectionStrings__OpsConsole="Data Source=/data/opsconsole.db"

WORKDIR /app
COPY --from=build /app ./

USER $APP_UID
VOLUME ["/data"]
EXPOSE 8080

# The image has no curl: the app probes its own /health/live and exits 0 or 1.
# The first probe runs after one interval, which covers start-up and migrations; --start-period
# is left out because dockerfilelint 1.8 misreads hyphenated option names.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["dotnet", "OpsConsole.Web.dll", "healthcheck"]

ENTRYPOINT ["dotnet", "OpsConsole.Web.dll"]
