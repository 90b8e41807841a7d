using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace TinkerServer.Application;

public static class DependencyInjection
{
    /// <summary>Validators of every use case. The mediator itself is generated in the Api (the outermost project).</summary>
    public static IServiceCollection AddApplicationServices(this IServiceCollection services)
    {
        services.AddValidatorsFromAssemblyContaining(typeof(DependencyInjection), includeInternalTypes: true);
        services.AddScoped<Common.RunAccess>();
        services.AddScoped<Sessions.SessionAccess>();
        services.AddScoped<Futures.FutureEnqueuer>();
        services.AddScoped<Weights.PendingCheckpoints>();
        services.AddScoped<Checkpoints.CheckpointReadAccess>();
        services.AddScoped<Checkpoints.OwnedCheckpointAccess>();
        return services;
    }
}
