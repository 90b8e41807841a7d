using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure;

public static class DependencyInjection
{
    public static IServiceCollection AddInfrastructureServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TinkerServerOptions>()
            .Bind(configuration.GetSection(TinkerServerOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "TinkerServer:DataDirectory must not be empty.")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
