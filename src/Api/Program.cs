using TinkerServer.Api;
using TinkerServer.Application;
using TinkerServer.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services
    .AddApplicationServices()
    .AddInfrastructureServices(builder.Configuration)
    .AddApiServices();

var app = builder.Build();

app.UseApi();

app.Run();
