using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Common;
using TinkerServer.Infrastructure.Compute;
using TinkerServer.Infrastructure.Configuration;
using TinkerServer.Infrastructure.Engine;
using TinkerServer.Infrastructure.Maintenance;
using TinkerServer.Infrastructure.Persistence;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructureServices(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(TinkerServerOptions.SectionName);
        services.AddOptions<TinkerServerOptions>()
            .Bind(section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "TinkerServer:DataDirectory must not be empty.")
            .ValidateOnStart();
        services.AddOptions<EngineOptions>()
            .Bind(section)
            .Validate(o => o.LongPollTimeout > TimeSpan.Zero && o.LongPollTimeout < TimeSpan.FromSeconds(45),
                "TinkerServer:LongPollTimeout must be positive and below the SDK's 45 s read timeout.")
            .Validate(o => o.SessionTimeout > TimeSpan.Zero, "TinkerServer:SessionTimeout must be positive.")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddPersistence(configuration);
        services.AddFileSystemArtifactStorage();
        services.AddReferenceComputeBackend(configuration);
        services.AddEngine();
        services.AddHostedService<MaintenanceService>();
        return services;
    }
}
